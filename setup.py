"""Packaging lives in setup.cfg; this file lets older tools run `setup.py`, and puts the
browser worker's npm package in the wheel (mockprock/tutor/npm/), where the Tutor
plugin's image build installs it from (see mockprock.tutor.npm)."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
NPM_FILES = ("package.json", "worker/index.js", "worker/desktop-url.js", "worker/configure.js")


class BuildWithWorker(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an installed checkout has the package at its root
        for name in NPM_FILES:
            target = Path(self.build_lib, "mockprock/tutor/npm", name)
            self.mkpath(str(target.parent))
            self.copy_file(str(HERE / name), str(target))


setup(cmdclass={"build_py": BuildWithWorker})
