-- Schema version 2: onboarding profiles belong to a provider client, as exams do (and
-- attempts, through their exam). A vendor keeps one profile per learner per tenant:
-- the client whose LMS onboarded the learner.
--
-- A 2.0 profile goes to every client that knows the learner (an attempt on one of its
-- exams) or the profile's course (one of its exams); one that no client ties to went,
-- in 2.0, to every client, and goes to every client with an exam.

CREATE TABLE client_onboarding_profiles (
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    status TEXT NOT NULL,
    course_id TEXT,
    expiration_date TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (client_id, user_id)
);

INSERT OR IGNORE INTO client_onboarding_profiles
SELECT owner.client_id, p.user_id, p.status, p.course_id, p.expiration_date, p.updated_at
FROM onboarding_profiles p
JOIN (
    SELECT a.user_id AS user_id, e.client_id AS client_id
    FROM attempts a JOIN exams e ON e.id = a.exam_id
    UNION
    SELECT q.user_id, e.client_id
    FROM onboarding_profiles q JOIN exams e ON e.course_id = q.course_id
) owner ON owner.user_id = p.user_id;

INSERT OR IGNORE INTO client_onboarding_profiles
SELECT e.client_id, p.user_id, p.status, p.course_id, p.expiration_date, p.updated_at
FROM onboarding_profiles p, (SELECT DISTINCT client_id FROM exams) e
WHERE p.user_id NOT IN (SELECT user_id FROM client_onboarding_profiles);

DROP TABLE onboarding_profiles;
ALTER TABLE client_onboarding_profiles RENAME TO onboarding_profiles;
CREATE INDEX onboarding_profiles_by_status ON onboarding_profiles (client_id, status);
CREATE INDEX exams_by_client ON exams (client_id, course_id);
