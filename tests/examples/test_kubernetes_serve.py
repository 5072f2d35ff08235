"""examples/kubernetes-serve.yaml: it passes the Kubernetes schemas of the same versions as the CronJob
example (offline), a broken copy does not, its objects fit together the way `reconcile serve` needs
(one writer, one port, probes, secrets), and every `reconcile ...` command in it exists in the real
command line."""

from __future__ import annotations

import copy
import re
import shlex
from typing import Any

import pytest
import yaml

from tests.examples.test_pipelines import (
    CREDENTIALS,
    EXAMPLES,
    KUBERNETES_VERSIONS,
    assert_secrets_from_files,
    assert_sized_with_a_writable_tmp,
    cli_problems,
    cronjob_parts,
    header_of,
    kubernetes_problems,
    load_all,
    offline,
    reconcile_commands,
    shell_scripts,
)

SERVE = EXAMPLES / "kubernetes-serve.yaml"
WEBHOOK_SECRETS = ("MOCO_WEBHOOK_SECRET", "PERSONIO_WEBHOOK_SECRET")
GRACE_DEFAULT = 20.0  # seconds: `reconcile serve --grace`'s default


def parts() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    deployment, service, policy = load_all(SERVE)
    return deployment, service, policy


def pod_and_container() -> tuple[dict[str, Any], dict[str, Any]]:
    pod = parts()[0]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return pod, container


def option(args: list[str], name: str) -> str | None:
    """The value of `name` in a container's args (`--name VALUE` or `--name=VALUE`), or None."""
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.partition("=")[2]
    return None


# --- the linter ----------------------------------------------------------------------------------

def test_the_serve_example_passes_the_kubernetes_schemas(monkeypatch):
    offline(monkeypatch)
    documents = load_all(SERVE)
    assert [document["kind"] for document in documents] == ["Deployment", "Service", "NetworkPolicy"]
    assert kubernetes_problems(documents) == []


def test_kubernetes_validate_reports_what_is_broken_in_a_copy_of_each_object():
    # It reports the first problem of a document, so one broken copy for each.
    deployment, service, policy = (copy.deepcopy(document) for document in parts())
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["readinessProbe"]["httpGet"]["paht"] = "/readyz"  # the key is path
    service["spec"]["ports"][0]["port"] = "eighty-eighty"  # an integer
    policy["spec"]["egres"] = policy["spec"].pop("egress")  # the key is egress
    problems = kubernetes_problems([deployment, service, policy])
    assert len(problems) == 3 * len(KUBERNETES_VERSIONS), problems
    assert all("'paht' was unexpected" in problem for problem in problems[:2]), problems
    assert all("'eighty-eighty' is not of type" in problem for problem in problems[2:4]), problems
    assert all("'egres' was unexpected" in problem for problem in problems[4:]), problems


# --- what the objects must be --------------------------------------------------------------------

def test_one_replica_recreated_never_two_writers_at_once():
    deployment, _, _ = parts()
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


def test_the_container_runs_serve_on_the_one_named_port():
    pod, container = pod_and_container()
    args = container["args"]
    assert "command" not in container, "the example relies on the image's entrypoint"
    assert args[:3] == ["serve", "-c", "/config/mapping.yaml"]
    assert option(args, "--listen") == "0.0.0.0:8080"
    assert container["image"] == cronjob_parts()[3]["image"], "both examples run the same image"
    (port,) = container["ports"]
    assert port == {"name": "http", "containerPort": 8080, "protocol": "TCP"}
    assert option(args, "--listen").rpartition(":")[2] == str(port["containerPort"])


def test_the_probes_ask_readyz_and_healthz_on_that_port():
    _, container = pod_and_container()
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}


def test_sigkill_comes_after_the_grace_serve_takes_to_finish_its_writes():
    pod, container = pod_and_container()
    grace = float(option(container["args"], "--grace") or GRACE_DEFAULT)
    assert pod["terminationGracePeriodSeconds"] == 30
    assert grace + 5 <= pod["terminationGracePeriodSeconds"]


def test_prometheus_is_told_where_the_metrics_are():
    deployment, _, _ = parts()
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": "8080",
                           "prometheus.io/path": "/metrics"}


def test_the_pod_runs_as_the_cronjobs_do_non_root_read_only_no_capabilities():
    pod, container = pod_and_container()
    _, _, cron_pod, cron_container = cronjob_parts()
    assert pod["securityContext"] == cron_pod["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"] == cron_container["securityContext"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert pod["automountServiceAccountToken"] is False
    assert_sized_with_a_writable_tmp(pod, container)


def test_the_credentials_and_webhook_secrets_come_from_files_of_the_cronjobs_secret_and_the_spec_from_its_config_map():
    pod, container = pod_and_container()
    env = {item["name"]: item for item in container["env"]}
    assert set(env) == {f"{name}_FILE" for name in (*CREDENTIALS, *WEBHOOK_SECRETS)}
    assert_secrets_from_files(pod, container, (*CREDENTIALS, *WEBHOOK_SECRETS), header_of(SERVE))
    _, _, cron_pod, cron_container = cronjob_parts()
    cron_mounts = {mount["mountPath"]: mount for mount in cron_container["volumeMounts"]}
    for mount in container["volumeMounts"]:  # the same volumes, where the CronJobs mount them
        volume = next(volume for volume in pod["volumes"] if volume["name"] == mount["name"])
        assert volume in cron_pod["volumes"] and mount == cron_mounts[mount["mountPath"]], mount
    mount = next(mount for mount in container["volumeMounts"] if mount["mountPath"] == "/config")
    assert mount["readOnly"] is True
    volume = next(volume for volume in pod["volumes"] if volume["name"] == mount["name"])
    assert volume["configMap"]["name"] == cronjob_parts()[0]["metadata"]["name"] == "reconcile-spec"


def test_the_header_says_how_to_make_the_secret_and_holds_no_value():
    header = header_of(SERVE)
    assert "kubectl -n reconcile create secret generic reconcile-credentials" in header
    assert "kubectl -n reconcile create configmap reconcile-spec" in header
    assert "adapt" in header.lower()
    assert not re.search(r"--from-literal=[\w-]+='(?!\.\.\.')", header), "a value in the header"


def test_the_service_has_the_one_port_and_selects_the_deployments_pods():
    deployment, service, _ = parts()
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    assert service["spec"]["selector"] == labels
    assert service["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]


def test_the_selectors_leave_the_cronjobs_pods_alone():
    # A CronJob left running beside serve keeps its own network: the policy selects serve's pods only.
    _, _, policy = parts()
    cron_labels = cronjob_parts()[1]["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert not selector.items() <= cron_labels.items()


def test_the_network_policy_lets_in_only_the_port_and_out_only_dns_and_https():
    deployment, _, policy = parts()
    spec = policy["spec"]
    assert spec["podSelector"]["matchLabels"] == deployment["spec"]["template"]["metadata"]["labels"]
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    assert [rule["ports"] for rule in spec["ingress"]] == [[{"port": "http", "protocol": "TCP"}]]
    egress = sorted((port["port"], port["protocol"]) for rule in spec["egress"] for port in rule["ports"])
    assert egress == [(53, "TCP"), (53, "UDP"), (443, "TCP")]


# --- every reconcile command exists --------------------------------------------------------------

def serve_scripts() -> list[str]:
    """What the file runs: the container's args (its entrypoint is reconcile) and the `reconcile ...`
    commands its comments tell users to run, found as shell_scripts finds them in the CronJob."""
    scripts = shell_scripts(SERVE)  # the backticked commands of the comments (it finds no CronJob here)
    for document in load_all(SERVE):
        if document["kind"] == "Deployment":
            for container in document["spec"]["template"]["spec"]["containers"]:
                assert "command" not in container, "the example relies on the image's entrypoint"
                scripts.append(shlex.join(["reconcile", *container["args"]]))
    return scripts


def serve_commands() -> list[list[str]]:
    found = (tuple(words) for script in serve_scripts() for words in reconcile_commands(script))
    return [list(words) for words in dict.fromkeys(found)]  # each once, in order


def test_the_command_finder_finds_the_serve_command_and_the_validate_in_the_comments():
    commands = serve_commands()
    assert ["serve", "-c", "/config/mapping.yaml", "--listen", "0.0.0.0:8080", "--log-format", "json"] in commands
    assert ["validate", "-c", "mapping.yaml"] in commands


@pytest.mark.parametrize("words", serve_commands(), ids=" ".join)
def test_every_reconcile_command_in_the_serve_example_exists(words):
    problems = cli_problems(words)
    assert not problems, f"{SERVE.name}: reconcile {' '.join(words)}: " + "; ".join(problems)


# --- the Kubernetes snippets of docs/serve.md ----------------------------------------------------

def doc_snippets(kind: str) -> list[dict[str, Any]]:
    text = (EXAMPLES.parent / "docs" / "serve.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.DOTALL)]
    return [block for block in blocks if isinstance(block, dict) and block.get("kind") == kind]


def test_the_ingress_in_the_docs_passes_the_schemas_and_sends_only_the_hooks_to_the_service():
    (ingress,) = doc_snippets("Ingress")
    assert kubernetes_problems([ingress]) == []
    _, service, _ = parts()
    (rule,) = ingress["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/hooks/", "Prefix")
    assert path["backend"]["service"] == {"name": service["metadata"]["name"], "port": {"name": "http"}}
    assert rule["host"] in ingress["spec"]["tls"][0]["hosts"]
