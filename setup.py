"""Package metadata for ebano-dal; every value is read from settings.ini (nbdev 2)."""
from configparser import ConfigParser
from pathlib import Path

import setuptools

cfg = ConfigParser(delimiters=["="])
cfg.read(Path(__file__).parent / "settings.ini")
cfg = cfg["DEFAULT"]


def _reqs(key: str) -> list[str]:
    """Split one whitespace-separated requirement list of settings.ini."""
    return cfg.get(key, "").split()


scripts = [s for s in _reqs("console_scripts") if s]
setuptools.setup(
    name=cfg["lib_name"],
    version=cfg["version"],
    description=cfg["description"],
    long_description=(Path(__file__).parent / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    author=cfg["author"],
    author_email=cfg["author_email"],
    license="Apache-2.0",
    keywords=cfg["keywords"],
    url=cfg["git_url"],
    python_requires=f">={cfg['min_python']}",
    packages=setuptools.find_packages(include=["ebano_dal", "ebano_dal.*"]),
    include_package_data=True,
    install_requires=_reqs("requirements"),
    extras_require={
        "cpu": _reqs("cpu_requirements"),
        "gpu": _reqs("gpu_requirements"),
        "dev": _reqs("dev_requirements"),
    },
    entry_points={
        "console_scripts": scripts,
        "nbdev": [f"{cfg['lib_path']}={cfg['lib_path']}._modidx:d"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Intended Audience :: Science/Research",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
        "License :: OSI Approved :: Apache Software License",
    ],
    project_urls={"Source": cfg["git_url"]},
    zip_safe=False,
)
