"""mockprock's Tutor plugin: proctored exams in ``tutor local`` and ``tutor dev``.

Enabled, it puts the backend and the browser worker in an openedx image of its own
(which ``launch`` builds, and whose assets build fails loudly without the worker), the
proctoring settings in LMS and Studio, the provider server beside them as the compose
service ``mockprock``, an init task that gives the server an LMS account to call back
with, and ``do mockprock-demo`` (a course to try). Every file it renders is under
``patches/`` and ``templates/``; every value a user may change is a ``MOCKPROCK_*``
setting below (``tutor config save --set``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from tutor import env as tutor_env
from tutor import hooks

from mockprock import __version__
from mockprock.tutor.pip_spec import with_extra

HERE = Path(__file__).resolve().parent
# The server's port inside its container; MOCKPROCK_PORT is the one published on the host.
SERVER_PORT = 11136
# Tutor's registry cache of its stock openedx image (Tutor's own tag, plus "-cache").
UPSTREAM_OPENEDX_CACHE = "{{ DOCKER_REGISTRY }}overhangio/openedx:{{ TUTOR_VERSION }}-cache"

hooks.Filters.CONFIG_DEFAULTS.add_items(
    [
        ("MOCKPROCK_VERSION", __version__),
        ("MOCKPROCK_DOCKER_IMAGE", "mockprock:{{ MOCKPROCK_VERSION }}"),
        # The openedx image with the backend and the worker in it: a tag of its own, which
        # no registry has, so that pulling Tutor's images never replaces it.
        (
            "MOCKPROCK_DOCKER_IMAGE_OPENEDX",
            "openedx-mockprock:{{ TUTOR_VERSION }}-{{ MOCKPROCK_VERSION }}",
        ),
        # What pip installs in both images when no checkout is mounted: the release, or a
        # URL (a wheel: "mockprock @ https://.../x.whl"; a git ref:
        # "mockprock @ git+https://github.com/OWNER/mockprock@REF").
        ("MOCKPROCK_PIP_SPEC", "mockprock=={{ MOCKPROCK_VERSION }}"),
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
        # The accounts `tutor local do mockprock-demo` sets up.
        ("MOCKPROCK_DEMO_LEARNER", "mockprock_learner"),
        ("MOCKPROCK_DEMO_LEARNER_EMAIL", "mockprock_learner@example.com"),
        ("MOCKPROCK_DEMO_REVIEWER", "mockprock_reviewer"),
        ("MOCKPROCK_DEMO_REVIEWER_EMAIL", "mockprock_reviewer@example.com"),
    ]
)


@hooks.Filters.CONFIG_DEFAULTS.add(priority=hooks.priorities.LOW)
def _run_the_built_openedx_image(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    # Every service of the openedx image in local (lms, cms, their workers and jobs) runs
    # the image this plugin builds. A default, not an override: Tutor saves
    # overrides rendered in config.yml, where the tag would outlive an upgrade. Moved last,
    # because Tutor renders each setting once, in order, and this one names ours; a value
    # the user saved still wins.
    ours = ("DOCKER_IMAGE_OPENEDX", "{{ MOCKPROCK_DOCKER_IMAGE_OPENEDX }}")
    return [item for item in items if item[0] != ours[0]] + [ours]


# Generated once by `tutor config save`, then kept in config.yml.
hooks.Filters.CONFIG_UNIQUE.add_items(
    [
        ("MOCKPROCK_CLIENT_SECRET", "{{ 32|random_string }}"),
        ("MOCKPROCK_LMS_CLIENT_SECRET", "{{ 32|random_string }}"),
        ("MOCKPROCK_DEMO_PASSWORD", "{{ 16|random_string }}"),
    ]
)

hooks.Filters.ENV_TEMPLATE_FILTERS.add_item(("mockprock_with_extra", with_extra))
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
def _build_images_on_launch(image_names: list[str], context_name: str) -> list[str]:
    # No registry has either image: `tutor local launch` builds them. In dev the openedx
    # services run openedx-dev, which Tutor builds from the same Dockerfile (its
    # development stage starts from the production one, patches and check included).
    wanted = ["openedx", "mockprock"] if context_name == "local" else ["mockprock"]
    image_names.extend(name for name in wanted if name not in image_names)
    return image_names


@hooks.Filters.IMAGES_BUILD.add(priority=hooks.priorities.LOW)
def _reuse_tutors_build_cache(images: list[tuple], config: dict) -> list[tuple]:
    # Tutor reads its registry cache from the image's own tag, which has none here: read
    # the stock image's, so only the layers from mockprock's on are rebuilt.
    upstream = tutor_env.render_str(config, UPSTREAM_OPENEDX_CACHE)
    return [
        (name, path, tag, (*args, f"--cache-from=type=registry,ref={upstream}"))
        if name == "openedx"
        and config["DOCKER_IMAGE_OPENEDX"] == config["MOCKPROCK_DOCKER_IMAGE_OPENEDX"]
        else (name, path, tag, args)
        for name, path, tag, args in images
    ]


@hooks.Filters.IMAGES_PULL.add(priority=hooks.priorities.LOW)
def _never_pull_the_built_openedx_image(images: list[tuple], config: dict) -> list[tuple]:
    # `tutor images pull all` would fail on (or, under the stock tag, replace) it.
    ours = config["MOCKPROCK_DOCKER_IMAGE_OPENEDX"]
    return [(name, tag) for name, tag in images if tag != ours]


def _task(service: str, name: str) -> str:
    return (HERE / "templates" / "mockprock" / "tasks" / service / name).read_text()


@click.command(name="mockprock-demo")
def demo_course() -> Iterator[tuple[str, str]]:
    """Set up mockprock's demo course: proctored exams, a verified learner, a reviewer.

    Imports the course into Studio, then creates or updates the learner (enrolled as
    verified) and the reviewer, and prints their passwords and where to go. Run it again
    at will.
    """
    yield from demo_tasks()


def demo_tasks() -> list[tuple[str, str]]:
    """What ``mockprock-demo`` runs: the course import in Studio, then the LMS's side."""
    return [(service, _task(service, "demo.sh")) for service in ("cms", "lms")]


hooks.Filters.CLI_DO_COMMANDS.add_item(demo_course)
hooks.Filters.CLI_DO_INIT_TASKS.add_item(("lms", _task("lms", "init.sh")))
