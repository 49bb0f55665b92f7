# syntax=docker/dockerfile:1
# The mockprock provider server, built from this checkout (`make image`):
#   docker run -p 11136:11136 -v mockprock:/data mockprock:2.0.0
# Every option is a MOCKPROCK_* variable (`mockprock serve --help`), e.g.
#   -e MOCKPROCK_CLIENTS=ID:SECRET -e MOCKPROCK_PUBLIC_URL=http://localhost:11136
# The Tutor plugin builds the same image from its own template
# (mockprock/tutor/templates/mockprock/build/mockprock/Dockerfile).
FROM docker.io/python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 1000 mockprock \
    && mkdir /data && chown mockprock:mockprock /data

COPY . /src
RUN pip install "/src[server]" && rm -rf /src

ENV MOCKPROCK_HOST=0.0.0.0 \
    MOCKPROCK_PORT=11136 \
    MOCKPROCK_DB=/data/mockprock.sqlite
USER mockprock
WORKDIR /data
VOLUME /data
EXPOSE 11136
# A token, then the config: what the LMS asks first (python -m mockprock.healthcheck).
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
    CMD ["python", "-m", "mockprock.healthcheck"]
CMD ["mockprock", "serve"]
