# mockprock: proctored exams, with the mockprock server as the provider
ENABLE_SPECIAL_EXAMS = True
FEATURES["ENABLE_SPECIAL_EXAMS"] = True
PROCTORING_BACKENDS = {
    "DEFAULT": "mockprock",
    # Exams saved earlier under the LMS's default backend keep working.
    "null": {},
    "mockprock": {
        "client_id": "{{ MOCKPROCK_CLIENT_ID }}",
        "client_secret": "{{ MOCKPROCK_CLIENT_SECRET }}",
        # The server's name inside the compose network: API calls never leave it.
        "base_url": "http://mockprock:11136",
    },
}
