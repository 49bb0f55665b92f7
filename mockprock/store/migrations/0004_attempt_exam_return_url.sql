-- Schema version 4: an attempt keeps the exam_return_url its registration gave (the
-- learning MFE's URL of the exam, sent by Proctortrack's backend), so the learner page can
-- send the learner back after the system check. Touches the attempts table only.
--
-- Attempts registered before kept their whole request in payload: take it from there.

ALTER TABLE attempts ADD COLUMN exam_return_url TEXT;

UPDATE attempts
SET exam_return_url = json_extract(payload, '$.exam_return_url')
WHERE json_valid(payload) AND json_type(payload, '$.exam_return_url') = 'text';
