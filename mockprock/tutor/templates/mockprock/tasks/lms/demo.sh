{%- set lms = ("https" if ENABLE_HTTPS else "http") ~ "://" ~ LMS_HOST -%}
{%- set studio = ("https" if ENABLE_HTTPS else "http") ~ "://" ~ CMS_HOST -%}
{%- set course = "course-v1:MockProck+PROC101+demo" -%}
# mockprock demo: a learner enrolled as verified (edx-platform gives an audit learner a
# plain timed exam instead of a proctored one) and a reviewer: course staff, to open the
# instructor dashboard, and in mockprock_review, whose reviews edx-proctoring accepts.
# Every step creates or updates, so the command can run again.
./manage.py lms manage_group mockprock_review
./manage.py lms manage_user {{ MOCKPROCK_DEMO_LEARNER }} {{ MOCKPROCK_DEMO_LEARNER_EMAIL }}
./manage.py lms manage_user {{ MOCKPROCK_DEMO_REVIEWER }} {{ MOCKPROCK_DEMO_REVIEWER_EMAIL }} --groups mockprock_review
./manage.py lms shell -c "
from django.contrib.auth import get_user_model
from opaque_keys.edx.keys import CourseKey
from common.djangoapps.course_modes.models import CourseMode
from common.djangoapps.student.models import CourseEnrollment
from common.djangoapps.student.roles import CourseStaffRole
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

course = CourseKey.from_string('{{ course }}')
CourseOverview.get_from_id(course)
for slug, name, price in (('audit', 'Audit', 0), ('verified', 'Verified', 49)):
    CourseMode.objects.update_or_create(
        course_id=course,
        mode_slug=slug,
        defaults={'mode_display_name': name, 'min_price': price, 'currency': 'usd'},
    )
users = get_user_model().objects
learner = users.get(username='{{ MOCKPROCK_DEMO_LEARNER }}')
reviewer = users.get(username='{{ MOCKPROCK_DEMO_REVIEWER }}')
for user, full_name in ((learner, 'Demo Learner'), (reviewer, 'Demo Reviewer')):
    user.set_password('{{ MOCKPROCK_DEMO_PASSWORD }}')
    user.save()
    user.profile.name = full_name
    user.profile.save()
CourseEnrollment.enroll(learner, course, mode='verified')
CourseStaffRole(course).add_users(reviewer)
"
cat <<MESSAGE

mockprock demo course {{ course }}
  the course (LMS):       {{ lms }}/courses/{{ course }}/about
  in Studio:              {{ studio }}/course/{{ course }}
  review dashboard:       {{ lms }}/courses/{{ course }}/instructor#view-special_exams
  mockprock console:      {{ MOCKPROCK_PUBLIC_URL }}/mockprock/
  learner (verified):     {{ MOCKPROCK_DEMO_LEARNER_EMAIL }} / {{ MOCKPROCK_DEMO_PASSWORD }}
  reviewer (course staff): {{ MOCKPROCK_DEMO_REVIEWER_EMAIL }} / {{ MOCKPROCK_DEMO_PASSWORD }}
In tutor dev the LMS is on port 8000 and Studio on 8001.
MESSAGE
