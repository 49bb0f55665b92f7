-- Schema version 5: the console and `mockprock status` list a client's attempts newest
-- first, filtered by status and counted, in SQL (issue 22): one page is read by walking
-- the attempts by creation time, and a status's count is answered from the index alone.
-- Indexes only; the (exam_id, status) index also answers what attempts_by_exam did.

CREATE INDEX attempts_by_creation ON attempts (created_at);
CREATE INDEX attempts_by_exam_status ON attempts (exam_id, status);
DROP INDEX attempts_by_exam;
