"""Build the optional compiled kernel, ``dedupe._speedups`` (all metadata is in pyproject.toml).

As in msgpack, PyYAML and MarkupSafe, the extension is an optional speed-up: where no C
compiler is present (or ``DEDUPE_PURE_PYTHON=1`` is set at build time) the build prints a
warning and installs the pure Python/numpy package, which gives identical results.
``python -c "import dedupe.kernel as k; print(k.ACTIVE)"`` says which one is in use.
"""

from __future__ import annotations

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, CompileError, ExecError, LinkError, PlatformError

_FAILURES = (CCompilerError, CompileError, ExecError, LinkError, PlatformError, OSError)


def _warn(error: object) -> None:
    bar = "*" * 75
    sys.stderr.write(
        f"{bar}\nWARNING: the compiled kernel of dedupe (dedupe._speedups) could not be "
        f"built:\n  {error}\ndedupe is installed without it: results are the same, "
        f"fingerprinting is slower.\n{bar}\n"
    )


class OptionalBuildExt(build_ext):
    """``build_ext`` that warns instead of failing when the extension cannot be built."""

    def build_extensions(self) -> None:
        unix = self.compiler.compiler_type in ("unix", "cygwin", "mingw32")
        for ext in self.extensions:
            ext.extra_compile_args = ["-O3"] if unix else ["/O2"]
        super().build_extensions()

    def run(self) -> None:
        try:
            super().run()
        except _FAILURES as error:
            _warn(error)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except _FAILURES as error:
            _warn(error)


_pure = os.environ.get("DEDUPE_PURE_PYTHON", "") not in ("", "0")
setup(
    ext_modules=[] if _pure else [Extension("dedupe._speedups", ["dedupe/_speedups.c"])],
    cmdclass={"build_ext": OptionalBuildExt},
)
