"""Issue 20, finding 8: `plan --out` and `apply --report` never write through a symbolic link, nor over a
read-only file (a pull request that commits plan.json as a link could point a CI write anywhere)."""

from __future__ import annotations

from tests.e2e.test_absences_e2e import reconcile, writes


def test_plan_out_through_a_link_is_refused_and_the_target_kept(sandbox, setup, tmp_path):
    target = tmp_path / "protected.txt"
    target.write_text("keep me\n")
    target.chmod(0o444)
    link = tmp_path / "plan.json"
    link.symlink_to(target)
    result = reconcile("plan", "-c", str(setup), "--out", str(link))
    assert result.exit_code == 1
    assert f"error: cannot write the plan to {link}: it is a symbolic link (to {target})" in result.output
    assert target.read_text() == "keep me\n" and link.is_symlink()


def test_apply_report_through_a_link_is_refused(sandbox, setup, tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text("{}\n")
    link = tmp_path / "report.json"
    link.symlink_to(target)
    result = reconcile("apply", "-c", str(setup), "--auto-approve", "--report", str(link))
    assert result.exit_code == 1
    assert f"cannot write the apply report to {link}: it is a symbolic link" in result.output
    assert target.read_text() == "{}\n"
    assert writes(sandbox)  # the apply itself ran; only its report was refused


def test_a_read_only_plan_file_is_not_replaced(sandbox, setup, tmp_path):
    out = tmp_path / "plan.json"
    out.write_text("old\n")
    out.chmod(0o444)
    result = reconcile("plan", "-c", str(setup), "--out", str(out))
    assert result.exit_code == 1 and f"cannot write the plan to {out}: it is read-only" in result.output
    assert out.read_text() == "old\n"
