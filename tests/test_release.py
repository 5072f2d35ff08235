"""The release (docs/release.md): pyproject.toml, reconciler/__init__.py, the Containerfile, the release workflow,
CHANGELOG.md, the README and every example agree on one distribution name, one version and one image; the
project files a release needs are there; the workflows pass actionlint, their schema and zizmor (offline); the
wheel and the sdist carry what they must; `make demo` installs no test tools; shell completion works."""

from __future__ import annotations

import ast
import hashlib
import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.examples.test_pipelines import (
    BIN,
    EXAMPLES,
    GITHUB,
    GITLAB,
    IMAGE,
    actionlint,
    check_jsonschema,
    dump,
    lint,
    load,
    load_all,
    pinned_actions,
    shown,
)

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
CHANGELOG = ROOT / "CHANGELOG.md"
OWNER_REPO = "reconcile-moco-personio/reconcile"
DIST = "personio-moco-reconcile"
IMAGE_NAME = f"ghcr.io/{OWNER_REPO}"
EVERY_EXAMPLE = sorted(path for path in EXAMPLES.iterdir() if path.suffix in (".yml", ".yaml"))
ZIZMOR = BIN / "zizmor"
# sha256 of the Apache License 2.0 as apache.org publishes it (LICENSE-2.0.txt)
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"


def version() -> str:
    """The version where it is written, read as hatch reads it: the literal of `__version__`."""
    tree = ast.parse((ROOT / "reconciler" / "__init__.py").read_text(encoding="utf-8"))
    (value,) = [node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and [getattr(target, "id", None) for target in node.targets] == ["__version__"]
                and isinstance(node.value, ast.Constant)]
    return str(value)


VERSION = version()


# --- one name, one version, one image ------------------------------------------------------------

def test_the_version_has_one_place_and_the_package_exports_it():
    import reconciler

    assert re.fullmatch(r"\d+\.\d+\.\d+", VERSION), VERSION
    assert reconciler.__version__ == VERSION
    assert PYPROJECT["project"]["dynamic"] == ["version"] and "version" not in PYPROJECT["project"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "reconciler/__init__.py"


def test_the_distribution_is_ours_the_command_and_the_import_package_are_reconcile():
    project = PYPROJECT["project"]
    assert project["name"] == DIST != "reconcile"  # `reconcile` on PyPI is another project
    assert project["scripts"] == {"reconcile": "reconciler.cli:main"}
    assert PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["reconciler"]
    urls = project["urls"]
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(urls)
    assert all(url.startswith(f"https://github.com/{OWNER_REPO}") for url in urls.values()), urls
    assert project["authors"] and project["maintainers"] and len(project["keywords"]) >= 5
    assert all("reconcile-moco-personio" in person["name"] for person in project["authors"] + project["maintainers"])


def test_the_containerfile_labels_the_image_with_this_version_and_this_repository():
    text = (ROOT / "Containerfile").read_text(encoding="utf-8")
    assert re.findall(r"^ARG VERSION=(\S+)$", text, re.M) == [VERSION]
    assert f'org.opencontainers.image.source="https://github.com/{OWNER_REPO}"' in text
    assert 'org.opencontainers.image.licenses="Apache-2.0"' in text
    assert re.search(r"^COPY [^\n]*\bLICENSE\b", text, re.M), "the build stage lacks the LICENSE the wheel carries"


def test_the_examples_and_the_readme_install_this_release_and_run_this_image():
    pins: list[tuple[str, str, str]] = []
    images: list[tuple[str, str]] = []
    for path in [*EVERY_EXAMPLE, ROOT / "README.md", ROOT / "docs" / "serve.md"]:
        text = path.read_text(encoding="utf-8")
        assert "git+https" not in text, f"{path.name} installs reconcile from git, not from the release"
        assert not re.search(r"pip install[^\n]*[\"' ]reconcile[\"' =<>]", text), f"{path.name}: another project"
        pins += [(path.name, name, pinned) for name, pinned in re.findall(r"pip install [^\n]*?([\w-]+)==([\w.]+)", text)]
        images += [(path.name, tag) for tag in re.findall(rf"{re.escape(IMAGE_NAME)}:([\w.-]+)", text)]
    assert {pin[0] for pin in pins} >= {GITHUB.name, GITLAB.name, "README.md"}, pins
    assert {(name, pinned) for _, name, pinned in pins} == {(DIST, VERSION)}, pins
    assert {image[0] for image in images} >= {"kubernetes-cronjob.yaml", "kubernetes-serve.yaml", "README.md"}, images
    assert {tag for _, tag in images} == {VERSION}, images
    assert IMAGE == f"{IMAGE_NAME}:{VERSION}"


def test_the_github_example_installs_the_release_in_every_job():
    for name, job in load(GITHUB)["jobs"].items():
        installs = [step["run"] for step in job["steps"] if "pip install" in step.get("run", "")]
        assert installs == [f'pip install "{DIST}=={VERSION}"'], name
    assert f'pip install --quiet "{DIST}=={VERSION}"' in load(GITLAB)[".reconcile"]["before_script"]


def test_the_changelog_keeps_a_changelog_and_its_newest_release_is_this_version():
    text = CHANGELOG.read_text(encoding="utf-8")
    assert "[Keep a Changelog](https://keepachangelog.com/" in text
    releases = re.findall(r"^## \[([^\]]+)\](?: - (\d{4}-\d{2}-\d{2}))?$", text, re.M)
    assert releases[0] == ("Unreleased", "")
    assert releases[1][0] == VERSION and releases[1][1], releases  # the one about to be released, with its day
    versions = [release for release, _ in releases[1:]]
    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))), reverse=True)
    assert all(day for _, day in releases[1:]), "a release without its date"
    for release, _ in releases:
        assert re.search(rf"^\[{re.escape(release)}\]: https://github\.com/{OWNER_REPO}/", text, re.M), release
    assert f"[{VERSION}]: https://github.com/{OWNER_REPO}/releases/tag/v{VERSION}" in text
    assert DIST in text and IMAGE_NAME in text


# --- the files a release needs -------------------------------------------------------------------

def test_the_license_is_the_apache_license_2_0_in_full():
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == APACHE_2_SHA256, "LICENSE is not apache.org's LICENSE-2.0.txt"
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]


@pytest.mark.parametrize(("name", "words"), [
    ("CHANGELOG.md", ["## [Unreleased]"]),
    ("CONTRIBUTING.md", ["make test", "make demo", "## Issues", "## Pull requests", "mypy", "SECURITY.md"]),
    ("SECURITY.md", ["Report a vulnerability", "privately", "## Supported versions", "no database",
                     "no cache on disk", "_FILE", "--out", "--report"]),
    ("docs/release.md", ["trusted publish", "pending publisher", "environment name: `pypi`", "release.yml"]),
])
def test_the_project_files_are_there_and_say_what_they_must(name, words):
    text = (ROOT / name).read_text(encoding="utf-8")
    missing = [word for word in words if word.lower() not in text.lower()]
    assert not missing, f"{name} does not say {missing}"


# --- the release workflow ------------------------------------------------------------------------

def release() -> dict[str, Any]:
    return load(RELEASE)


def test_the_release_workflow_passes_actionlint():
    result = actionlint(RELEASE)
    assert result.returncode == 0, shown(result)


def test_the_release_workflow_passes_its_json_schema():
    result = check_jsonschema("vendor.github-workflows", RELEASE)
    assert result.returncode == 0, shown(result)


def test_the_release_runs_on_version_tags_only_with_this_distribution_and_image():
    workflow = release()
    on = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert on == {"push": {"tags": ["v*"]}}
    assert workflow["env"] == {"DIST_NAME": DIST, "IMAGE": IMAGE_NAME}
    assert workflow["concurrency"]["cancel-in-progress"] is False


def test_each_job_asks_for_the_least_permissions():
    workflow = release()
    assert workflow["permissions"] == {}
    assert {name: job["permissions"] for name, job in workflow["jobs"].items()} == {
        "check": {"contents": "read"},
        "build": {"contents": "read"},
        "pypi": {"id-token": "write"},
        "image": {"contents": "read", "packages": "write"},
    }


def test_every_checkout_keeps_no_credentials():
    for name, job in release()["jobs"].items():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, name


def test_tests_run_before_anything_is_built_or_published():
    jobs = release()["jobs"]
    steps = [step.get("run", "") for step in jobs["check"]["steps"]]
    assert steps.index("make test") > next(index for index, run in enumerate(steps) if "TAG" in run)
    assert jobs["build"]["needs"] == "check" and jobs["image"]["needs"] == "check"
    assert set(jobs["pypi"]["needs"]) == {"check", "build"}


def test_pypi_gets_the_built_files_by_trusted_publishing_in_the_pypi_environment():
    job = release()["jobs"]["pypi"]
    assert job["environment"]["name"] == "pypi"
    assert job["environment"]["url"].startswith(f"https://pypi.org/project/{DIST}/")
    uses = [step["uses"].partition("@")[0] for step in job["steps"]]
    assert uses == ["actions/download-artifact", "pypa/gh-action-pypi-publish"]
    publish = job["steps"][-1]
    assert not set(publish.get("with", {})) & {"password", "user"}, "a token instead of trusted publishing"
    build = release()["jobs"]["build"]
    script = "\n".join(step.get("run", "") for step in build["steps"])
    assert "python3 -m build" in script
    upload = next(step for step in build["steps"] if step.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["with"]["name"] == job["steps"][0]["with"]["name"] == "dist"


def test_the_image_is_built_for_both_platforms_with_sbom_and_provenance_and_this_version():
    job = release()["jobs"]["image"]
    uses = [step["uses"].partition("@")[0] for step in job["steps"]]
    assert uses == ["actions/checkout", "docker/setup-qemu-action", "docker/setup-buildx-action",
                    "docker/login-action", "docker/build-push-action"]
    login = job["steps"][3]["with"]
    assert login == {"registry": "ghcr.io", "username": "${{ github.actor }}",
                     "password": "${{ secrets.GITHUB_TOKEN }}"}
    build = job["steps"][4]["with"]
    assert build["file"] == "Containerfile" and build["context"] == "."
    assert set(build["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert build["push"] is True and build["sbom"] is True and build["provenance"] == "mode=max"
    assert build["build-args"].splitlines() == ["VERSION=${{ needs.check.outputs.version }}"]
    assert "${{ env.IMAGE }}:${{ needs.check.outputs.version }}" in build["tags"].splitlines()


def test_every_action_is_pinned_by_commit_and_the_same_action_by_the_same_commit_everywhere():
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in [*WORKFLOWS, GITHUB]:
        for action, commit, tag in pinned_actions(path):  # fails on a line not pinned by SHA with its version
            pins.setdefault(action, set()).add((commit, tag))
    assert len(pins) >= 8, pins
    assert {action: found for action, found in pins.items() if len(found) > 1} == {}


def tag_check_script() -> str:
    step = next(step for step in release()["jobs"]["check"]["steps"] if step.get("id") == "version")
    return str(step["run"])


@pytest.mark.parametrize(("tag", "passes"), [(f"v{VERSION}", True), (VERSION, False), ("v0.0.1", False),
                                             (f"v{VERSION}.1", False), (f"v{VERSION}rc1", False)])
def test_the_tag_must_be_v_and_the_package_version(tmp_path, tag, passes):
    output = tmp_path / "output"
    env = {**os.environ, "TAG": tag, "GITHUB_OUTPUT": str(output)}
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", tag_check_script()], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=30)
    assert (result.returncode == 0) is passes, shown(result)
    if passes:
        assert output.read_text(encoding="utf-8") == f"version={VERSION}\n"
    else:
        assert f"::error::the tag {tag} is not v{VERSION}" in result.stdout and not output.exists()


# --- zizmor --------------------------------------------------------------------------------------

def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    # Offline: the audits that ask GitHub's API (impostor commits, known-vulnerable actions) do not run.
    return lint(ZIZMOR, "--offline", "--no-progress", "--min-severity", "high", *paths)


def test_zizmor_finds_nothing_high_in_the_workflows_and_the_github_example():
    result = zizmor(*WORKFLOWS, GITHUB)
    assert result.returncode == 0, shown(result)
    assert "No findings to report" in result.stdout, shown(result)


def test_zizmor_reports_an_unpinned_action_and_a_template_injection(tmp_path):
    workflow = release()
    workflow["on"] = workflow.pop(True)  # YAML 1.1 read the key `on` as true; zizmor wants it back
    steps = workflow["jobs"]["image"]["steps"]
    steps[0] = {"uses": "actions/checkout@v7", "with": {"persist-credentials": False}}  # a tag anyone can move
    steps.append({"run": 'echo "${{ github.event.head_commit.message }}"'})  # text the pusher chose, as shell
    result = zizmor(dump(workflow, tmp_path / "broken.yml"))
    assert result.returncode != 0, shown(result)
    assert "error[unpinned-uses]" in result.stdout and "error[template-injection]" in result.stdout, shown(result)


# --- what is built -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """The wheel and the sdist, built by hatchling itself (the test extra has it), offline."""
    out = tmp_path_factory.mktemp("dist")
    result = lint(sys.executable, "-m", "hatchling", "build", "-d", out)
    assert result.returncode == 0, shown(result)
    name = DIST.replace("-", "_")
    return {"wheel": out / f"{name}-{VERSION}-py3-none-any.whl", "sdist": out / f"{name}-{VERSION}.tar.gz"}


def test_the_wheel_carries_the_schema_the_license_and_the_command(built):
    with zipfile.ZipFile(built["wheel"]) as wheel:
        names = set(wheel.namelist())
        info = f"{DIST.replace('-', '_')}-{VERSION}.dist-info"
        assert "reconciler/schemas/mapping.schema.json" in names
        assert f"{info}/licenses/LICENSE" in names
        assert hashlib.sha256(wheel.read(f"{info}/licenses/LICENSE")).hexdigest() == APACHE_2_SHA256
        metadata = wheel.read(f"{info}/METADATA").decode()
        entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert f"\nName: {DIST}\n" in metadata and f"\nVersion: {VERSION}\n" in metadata
    assert "\nLicense-Expression: Apache-2.0\n" in metadata
    assert "reconcile = reconciler.cli:main" in entry_points
    assert not any(name.startswith(("tests/", "examples/", "bench/")) for name in names)


def test_the_sdist_carries_the_license_the_changelog_and_what_builds_it_again(built):
    with tarfile.open(built["sdist"]) as sdist:
        names = {name.partition("/")[2] for name in sdist.getnames()}
    assert {"LICENSE", "CHANGELOG.md", "CONTRIBUTING.md", "SECURITY.md", "README.md", "pyproject.toml",
            "Containerfile", "schemas/mapping.schema.json", "reconciler/__init__.py"} <= names


# --- make demo and make test ---------------------------------------------------------------------

def make_dry_run(target: str, tmp_path: Path) -> str:
    # a venv that does not exist, so make prints every step of the install without running one
    result = subprocess.run(["make", "-n", target, f"VENV={tmp_path / 'venv'}"], cwd=ROOT, capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, shown(result)
    return result.stdout


def test_make_demo_installs_reconcile_without_the_test_tools_and_make_test_adds_them(tmp_path):
    demo = make_dry_run("demo", tmp_path)
    installs = [line for line in demo.splitlines() if "pip install" in line and "--upgrade pip" not in line]
    assert len(installs) == 1 and installs[0].endswith(" -e ."), demo
    assert "[test]" not in demo
    test = make_dry_run("test", tmp_path)
    installs = [line for line in test.splitlines() if "pip install" in line and "--upgrade pip" not in line]
    assert [line.rpartition(" ")[2] for line in installs] == [".", "'.[test]'"], test
    assert test.index(".installed-test") < test.index("mypy")


# --- shell completion ----------------------------------------------------------------------------

@pytest.mark.parametrize(("shell", "marker"), [("bash", "complete -o nosort -F _reconcile_completion reconcile"),
                                               ("zsh", "#compdef reconcile"),
                                               ("fish", "complete --no-files --command reconcile")])
def test_the_installed_command_prints_the_completion_script_the_readme_names(shell, marker):
    result = subprocess.run([str(BIN / "reconcile")], env={**os.environ, "_RECONCILE_COMPLETE": f"{shell}_source"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, shown(result)
    assert marker in result.stdout, result.stdout
    assert f"_RECONCILE_COMPLETE={shell}_source reconcile" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_bash_completes_a_command_and_an_options_choices():
    words = {"COMP_WORDS": "reconcile plan --format ", "COMP_CWORD": "3", "_RECONCILE_COMPLETE": "bash_complete"}
    result = subprocess.run([str(BIN / "reconcile")], env={**os.environ, **words}, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["plain,text", "plain,markdown", "plain,json"], shown(result)
    words = {"COMP_WORDS": "reconcile doc", "COMP_CWORD": "1", "_RECONCILE_COMPLETE": "bash_complete"}
    result = subprocess.run([str(BIN / "reconcile")], env={**os.environ, **words}, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["plain,doctor"], shown(result)


def test_every_kubernetes_example_runs_this_image():
    for path in EVERY_EXAMPLE:
        if path.name.startswith("kubernetes-"):
            for document in load_all(path):
                spec = document.get("spec", {})
                template = spec.get("jobTemplate", {}).get("spec", spec).get("template", {})
                for container in [*template.get("spec", {}).get("initContainers", []),
                                  *template.get("spec", {}).get("containers", [])]:
                    assert container["image"] == f"{IMAGE_NAME}:{VERSION}", path.name
