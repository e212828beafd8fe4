"""Package layout that pyproject.toml cannot say alone: the repository's top-level
`resources/` folder (catalog, license keys, icons, desktop files) stays the one source
and ships inside wheels and sdists as the package data of `clary_desktop._resources`,
where `clary_desktop.resources` finds it."""

from setuptools import find_namespace_packages, find_packages, setup

RESOURCES = "clary_desktop._resources"
# Each folder of resources/ is a data-only package to setuptools.
RESOURCE_PACKAGES = [
    RESOURCES,
    *(f"{RESOURCES}.{name}" for name in find_namespace_packages(where="resources")),
]

setup(
    packages=[*find_packages(include=["clary_desktop", "clary_desktop.*"]), *RESOURCE_PACKAGES],
    package_dir={RESOURCES: "resources"},
    package_data={name: ["*"] for name in RESOURCE_PACKAGES},
)
