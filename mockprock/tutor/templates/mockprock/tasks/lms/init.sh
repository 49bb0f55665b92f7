# mockprock: the LMS account the server sends its callbacks (ready, reviewed) with.
# Every command creates or updates, so the task can run at every launch.
# edx-proctoring accepts a review only from staff or from the group <backend>_review.
./manage.py lms manage_group mockprock_review
./manage.py lms manage_user {{ MOCKPROCK_LMS_USER }} {{ MOCKPROCK_LMS_EMAIL }} --unusable-password --groups mockprock_review
./manage.py lms create_dot_application mockprock {{ MOCKPROCK_LMS_USER }} \
    --grant-type client-credentials \
    --client-id "{{ MOCKPROCK_LMS_CLIENT_ID }}" \
    --client-secret "{{ MOCKPROCK_LMS_CLIENT_SECRET }}" \
    --update
