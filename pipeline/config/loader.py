"""Loading the four files: ``${VAR}`` expansion, YAML errors and validation messages naming file:field."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from pipeline.config.base import ConfigError
from pipeline.config.members import MembersFile, MemberUnit
from pipeline.config.rules import Rules
from pipeline.config.settings import Settings
from pipeline.config.sources import SourceConfig, SourcesFile

# ---------------------------------------------------------------- loading


class AppConfig(BaseModel):
    root: Path
    settings: Settings
    sources: list[SourceConfig]
    members: MembersFile
    rules: Rules

    @property
    def data_dir(self) -> Path:
        p = Path(self.settings.data_dir)
        return p if p.is_absolute() else Path.cwd() / p

    def source(self, source_id: str) -> SourceConfig:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(f"no source {source_id!r} in {self.root / 'sources.yaml'}")

    def unit(self, unit_id: str) -> MemberUnit:
        for u in self.members.units:
            if u.id == unit_id:
                return u
        raise KeyError(f"no unit {unit_id!r} in {self.root / 'members.yaml'}")


# ${NAME} or ${NAME:-default}; a default may itself hold ${OTHER:-x} (expanded innermost first),
# so one variable can move a port and every URL that points at it.
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}$]*))?\}")


def _expand(value: Any, missing: list[str], where: str, field: str = "") -> Any:
    if isinstance(value, str):
        def sub(m: re.Match) -> str:
            name, default = m.group(1), m.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            missing.append(f"{where}: environment variable {name} is not set")
            return ""
        # Whatever ${…} is left after expansion is a typo (an unbalanced ${, a bad name):
        # it would otherwise become a literal folder name or URL. Nested defaults are stripped innermost first.
        leftover = value
        for _ in range(4):
            stripped = _ENV.sub("", leftover)
            if stripped == leftover:
                break
            leftover = stripped
        if "${" in leftover or re.search(r"\$\{[^}]*$", value):
            missing.append(f"{where}: {field or '(top level)'}: unbalanced or malformed ${{…}} in {value!r} "
                           f"(use ${{NAME}} or ${{NAME:-default}})")
            return value
        for _ in range(4):  # nested defaults: inner first
            expanded = _ENV.sub(sub, value)
            if expanded == value:
                break
            value = expanded
        return value
    if isinstance(value, list):
        return [_expand(v, missing, where, f"{field}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _expand(v, missing, where, f"{field}.{k}" if field else str(k)) for k, v in value.items()}
    return value


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part in {"function-after", "function-before"}:
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _read_yaml(path: Path, problems: list[str]) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{path}: file not found")
        return None
    except UnicodeDecodeError as e:
        problems.append(f"{path}: not UTF-8 ({e.reason} at byte {e.start})")
        return None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problems.append(f"{path}: {where}invalid YAML ({getattr(e, 'problem', None) or e})")
        return None
    missing: list[str] = []
    data = _expand(data if data is not None else {}, missing, str(path))
    problems.extend(missing)
    return data


def _validate(model: type[BaseModel], data: Any, path: Path, problems: list[str]):
    if data is None:
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}: expected a mapping at the top level, got {type(data).__name__}")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as e:
        for err in e.errors():
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown field"
            problems.append(f"{path}: {_loc(err['loc'])}: {msg}")
        return None


def load_config(root: str | Path, data_dir: str | Path | None = None) -> AppConfig:
    """Load and validate the four files under ``root``; raise ConfigError
    listing every problem found (not just the first)."""
    root = Path(root)
    problems: list[str] = []
    if not root.is_dir():
        raise ConfigError([f"{root}: configuration folder not found"])
    settings = _validate(Settings, _read_yaml(root / "settings.yaml", problems), root / "settings.yaml", problems)
    sources = _validate(SourcesFile, _read_yaml(root / "sources.yaml", problems), root / "sources.yaml", problems)
    members = _validate(MembersFile, _read_yaml(root / "members.yaml", problems), root / "members.yaml", problems)
    rules = _validate(Rules, _read_yaml(root / "rules.yaml", problems), root / "rules.yaml", problems)
    if problems:
        raise ConfigError(problems)
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": str(data_dir)})
    return AppConfig(root=root, settings=settings, sources=sources.sources, members=members, rules=rules)
