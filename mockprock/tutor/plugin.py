"""mockprock's Tutor plugin: proctored exams in ``tutor local`` and ``tutor dev``.

Enabled, it puts the backend and the browser worker in the openedx image, the
proctoring settings in LMS and Studio, the provider server beside them as the compose
service ``mockprock``, and an init task that gives the server an LMS account to call
back with. Every file it renders is under ``patches/`` and ``templates/``; every value
a user may change is a ``MOCKPROCK_*`` setting below (``tutor config save --set``).
"""

from __future__ import annotations

from pathlib import Path

from tutor import hooks

from mockprock import __version__

HERE = Path(__file__).resolve().parent
# The server's port inside its container; MOCKPROCK_PORT is the one published on the host.
SERVER_PORT = 11136

hooks.Filters.CONFIG_DEFAULTS.add_items(
    [
        ("MOCKPROCK_VERSION", __version__),
        ("MOCKPROCK_DOCKER_IMAGE", "mockprock:{{ MOCKPROCK_VERSION }}"),
        # Host port of the server, for the learner's and the instructor's browser.
        ("MOCKPROCK_PORT", SERVER_PORT),
        # A host name Caddy serves the server at (tutor local); empty: the port only.
        ("MOCKPROCK_HOST", ""),
        (
            "MOCKPROCK_PUBLIC_URL",
            "{% if MOCKPROCK_HOST %}{{ 'https' if ENABLE_HTTPS else 'http' }}://"
            "{{ MOCKPROCK_HOST }}{% else %}http://localhost:{{ MOCKPROCK_PORT }}{% endif %}",
        ),
        # Baked into the worker when the openedx image is built.
        ("MOCKPROCK_DESKTOP_URL", "{{ MOCKPROCK_PUBLIC_URL }}"),
        # The provider client the LMS calls the server with.
        ("MOCKPROCK_CLIENT_ID", "openedx"),
        # The LMS account and OAuth application the server calls the LMS back with.
        ("MOCKPROCK_LMS_USER", "mockprock"),
        ("MOCKPROCK_LMS_EMAIL", "mockprock@example.com"),
        ("MOCKPROCK_LMS_CLIENT_ID", "mockprock"),
    ]
)
# Generated once by `tutor config save`, then kept in config.yml.
hooks.Filters.CONFIG_UNIQUE.add_items(
    [
        ("MOCKPROCK_CLIENT_SECRET", "{{ 32|random_string }}"),
        ("MOCKPROCK_LMS_CLIENT_SECRET", "{{ 32|random_string }}"),
    ]
)

hooks.Filters.ENV_TEMPLATE_ROOTS.add_item(str(HERE / "templates"))
hooks.Filters.ENV_TEMPLATE_TARGETS.add_items(
    [
        ("mockprock/build", "plugins"),
        ("mockprock/tasks", "plugins"),
    ]
)

for path in sorted((HERE / "patches").iterdir()):
    hooks.Filters.ENV_PATCHES.add_item((path.name, path.read_text()))

# `tutor mounts add .../mockprock`: the checkout is pip-installed in the openedx images
# (Tutor's own patterns do not match the name) and in the server's image.
hooks.Filters.MOUNTED_DIRECTORIES.add_items([("openedx", "mockprock"), ("mockprock", "mockprock")])

hooks.Filters.IMAGES_BUILD.add_item(
    (
        "mockprock",
        ("plugins", "mockprock", "build", "mockprock"),
        "{{ MOCKPROCK_DOCKER_IMAGE }}",
        (),
    )
)


@hooks.Filters.IMAGES_BUILD_REQUIRED.add()
def _build_server_on_launch(image_names: list[str], context_name: str) -> list[str]:
    # No registry has the image: `tutor local/dev launch` builds it.
    image_names.append("mockprock")
    return image_names


with open(HERE / "templates" / "mockprock" / "tasks" / "lms" / "init.sh") as task:
    hooks.Filters.CLI_DO_INIT_TASKS.add_item(("lms", task.read()))
