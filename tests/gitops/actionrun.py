"""Run the shell steps of ``action.yml`` on this machine, the way a GitHub runner would, so the
Action's own scripts are tested instead of a copy of them.

GitHub's runner cannot run here, but a composite action is mostly ``bash`` steps fed by ``${{ }}``
expressions; this runs those steps with the runner's shell (``bash --noprofile --norc -eo
pipefail``), a ``GITHUB_OUTPUT`` file per step, ``RUNNER_TEMP`` and ``GITHUB_STEP_SUMMARY``. It
evaluates only the expression forms action.yml uses (context lookups, ``==``, ``!=``, ``&&``,
``||``, parentheses, ``always()``/``success()``/``failure()``) and fails loudly on anything else,
so a new construct in action.yml cannot be silently mis-evaluated. ``uses:`` steps
(setup-python, upload-artifact) are recorded with their evaluated ``with:``, not run; the install
step is skipped by id because the test's venv already has tablespec.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.S)
LOOKUP = re.compile(r"\b(inputs|github|steps|runner)((?:\.[A-Za-z_][A-Za-z0-9_-]*)+)")
ALLOWED = re.compile(r"^[\s()]*$")  # what may be left once lookups, literals and operators are taken out


@dataclass
class StepResult:
    name: str
    ran: bool
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    uses: str = ""
    with_: dict[str, str] = field(default_factory=dict)


@dataclass
class ActionRun:
    action_file: Path
    workspace: Path
    temp: Path
    inputs: dict[str, str]
    github: dict[str, str]
    env: dict[str, str]
    skip_ids: tuple[str, ...] = ("install",)
    steps: dict[str, StepResult] = field(default_factory=dict)
    results: list[StepResult] = field(default_factory=list)
    failed: bool = False

    def run(self) -> dict[str, str]:
        """Run every step in order; the action's outputs."""
        action = yaml.safe_load(self.action_file.read_text(encoding="utf-8"))
        assert action["runs"]["using"] == "composite"
        for name, spec in action.get("inputs", {}).items():
            if name not in self.inputs:
                self.inputs[name] = self.substitute(str(spec.get("default", "")))
        for step in action["runs"]["steps"]:
            result = self._step(step)
            self.results.append(result)
            if "id" in step:
                self.steps[step["id"]] = result
            self.failed = self.failed or result.returncode != 0
        return {name: self.substitute(out["value"]) for name, out in action.get("outputs", {}).items()}

    def _step(self, step: dict[str, Any]) -> StepResult:
        name = step.get("name", step.get("id", step.get("uses", "")))
        condition = step.get("if", "success()")
        if not self.evaluate(condition.removeprefix("${{").removesuffix("}}")):
            return StepResult(name, ran=False)
        if "uses" in step:
            return StepResult(name, ran=False, uses=step["uses"],
                              with_={k: self.substitute(str(v)) for k, v in step.get("with", {}).items()})
        if step.get("id") in self.skip_ids:
            return StepResult(name, ran=False)
        assert step["shell"] == "bash", f"{name}: only bash steps are supported"
        script = self.temp / f"step-{len(self.results)}.sh"
        script.write_text(step["run"], encoding="utf-8")
        output = self.temp / f"output-{len(self.results)}"
        output.write_text("")
        env = {**self.env, "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(self.temp),
               "GITHUB_STEP_SUMMARY": str(self.temp / "summary.md"), "GITHUB_WORKSPACE": str(self.workspace),
               **{k: self.substitute(str(v)) for k, v in step.get("env", {}).items()}}
        cwd = self.workspace / self.substitute(step.get("working-directory", "."))
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=300, check=False)
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        return StepResult(name, ran=True, returncode=done.returncode, stdout=done.stdout, stderr=done.stderr,
                          outputs=outputs)

    # --- expressions --------------------------------------------------------------------------------

    def substitute(self, text: str) -> str:
        return EXPR.sub(lambda m: _string(self.evaluate(m.group(1))), text)

    def evaluate(self, expr: str) -> Any:
        values: list[Any] = []

        def lookup(m: re.Match[str]) -> str:
            values.append(self._lookup(m.group(1), m.group(2)[1:].split(".")))
            return f" _v[{len(values) - 1}] "

        python = LOOKUP.sub(lookup, expr)
        python = re.sub(r"\b(always|success|failure)\(\)", lambda m: f" _{m.group(1)} ", python)
        check = re.sub(r"_v\[\d+\]|_always|_success|_failure|'[^']*'|==|!=|&&|\|\|", " ", python)
        if not ALLOWED.match(check):
            raise AssertionError(f"actionrun cannot evaluate {expr!r} (left: {check.strip()!r})")
        python = python.replace("&&", " and ").replace("||", " or ")
        names = {"_v": values, "_always": True, "_success": not self.failed, "_failure": self.failed}
        return eval(python, {"__builtins__": {}}, names)

    def _lookup(self, context: str, path: list[str]) -> str:
        if context == "inputs":
            return self.inputs.get(path[0], "")
        if context == "github":
            return self.github.get(path[0], "")
        if context == "runner":
            return {"temp": str(self.temp), "os": "Linux"}.get(path[0], "")
        if context == "steps" and len(path) == 3 and path[1] == "outputs":
            step = self.steps.get(path[0])
            return step.outputs.get(path[2], "") if step else ""
        raise AssertionError(f"actionrun has no value for {context}.{'.'.join(path)}")

    def step(self, name: str) -> StepResult:
        return next(r for r in self.results if r.name == name)


def _string(value: Any) -> str:
    if value is True or value is False:
        return str(value).lower()
    return "" if value is None else str(value)
