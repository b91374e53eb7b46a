"""Configuration: four YAML files under one folder, validated at load.

* ``settings.yaml`` — backends, data directory, console, gateways
* ``sources.yaml``  — what to crawl and how often
* ``members.yaml``  — member units, aliases, contacts, duty officers
* ``rules.yaml``    — lexicon, thresholds, levels, escalation

Errors name the file, the field and the problem, e.g.
``config/members.yaml: units[3].contacts[0].phone: not a mobile number``.
``${VAR}`` and ``${VAR:-default}`` in YAML string values are expanded from the
environment so one file serves several machines. Secrets are never read from
YAML: a field such as ``password_env`` names the environment variable.
"""
from __future__ import annotations

from pipeline.config.base import ConfigError, Strict, hhmm_minutes, parse_duration
from pipeline.config.loader import AppConfig, load_config
from pipeline.config.members import (
    Association,
    Contact,
    DutyOfficer,
    DutyRota,
    MembersFile,
    MemberUnit,
    MonitoringScheme,
    QuietHours,
    RobotConfig,
    RotaOverride,
    Shift,
)
from pipeline.config.rules import (
    AlertingRules,
    EngagementBoost,
    LevelRoute,
    LevelRule,
    RiskLevelBounds,
    Rules,
    SpikeRule,
)
from pipeline.config.settings import (
    AliyunSmsConfig,
    BackendConfig,
    ConsoleSettings,
    DemoConfig,
    RobotGateways,
    Settings,
    SmsConfig,
    SmtpConfig,
    TencentSmsConfig,
)
from pipeline.config.sources import (
    ApiFields,
    ApiSpec,
    EpaperSpec,
    Politeness,
    Selectors,
    SourceConfig,
    SourceHealthPolicy,
    SourcesFile,
)

__all__ = [
    "AlertingRules", "AliyunSmsConfig", "ApiFields", "ApiSpec", "AppConfig", "Association", "BackendConfig",
    "ConfigError", "ConsoleSettings", "Contact", "DemoConfig", "DutyOfficer", "DutyRota", "EngagementBoost",
    "EpaperSpec", "LevelRoute", "LevelRule", "MemberUnit", "MembersFile", "MonitoringScheme", "Politeness",
    "QuietHours", "RiskLevelBounds", "RobotConfig", "RobotGateways", "RotaOverride", "Rules", "Selectors", "Settings", "Shift",
    "SmsConfig", "SmtpConfig", "SourceConfig", "SourceHealthPolicy", "SourcesFile", "SpikeRule", "Strict",
    "TencentSmsConfig", "hhmm_minutes", "load_config", "parse_duration",
]
