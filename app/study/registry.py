"""The stakeholder registry: clusters and their institutions, read from the forms.

The registry is not a separate data file: it is the cluster and institution
choice lists of the study's shared choices (``[choices]`` in the study
configuration), so that what enumerators pick in a form and what the analysis
groups by can never disagree. Each institution's cluster is the value of the
institution list's cluster column (the one `choice_filter` uses). The
"other institution" choice belongs to no cluster.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from app.core.errors import SamluatError
from app.study.choices import SharedChoicesError, read_shared
from app.study.config import StudyConfig, Text


class RegistryError(SamluatError):
    """The cluster or institution lists are inconsistent (names the file and choice)."""


@dataclass(frozen=True)
class Cluster:
    code: str
    name: Text
    description: Text | None  # from the study configuration, if it describes the cluster


@dataclass(frozen=True)
class Institution:
    code: str
    name: Text
    cluster: str | None  # None only for the "other institution" choice


@dataclass(frozen=True)
class Registry:
    """Clusters and institutions in list order."""

    source: Path
    clusters: tuple[Cluster, ...]
    institutions: tuple[Institution, ...]
    other_institution: str

    def cluster(self, code: str) -> Cluster:
        for cluster in self.clusters:
            if cluster.code == code:
                return cluster
        raise KeyError(f"no cluster {code!r}")

    def institution(self, code: str) -> Institution:
        for institution in self.institutions:
            if institution.code == code:
                return institution
        raise KeyError(f"no institution {code!r}")

    def in_cluster(self, code: str) -> tuple[Institution, ...]:
        """Institutions of one cluster (without "other")."""
        self.cluster(code)
        return tuple(i for i in self.institutions if i.cluster == code)

    def by_cluster(self) -> dict[str, tuple[Institution, ...]]:
        return {cluster.code: self.in_cluster(cluster.code) for cluster in self.clusters}

    def named(self) -> Iterator[Institution]:
        """Every institution except the "other" choice."""
        return (i for i in self.institutions if i.code != self.other_institution)


def _text(row: Mapping[str, str], columns: Mapping[str, str], where: str, source: Path) -> Text:
    items: list[tuple[str, str]] = []
    for lang, column in columns.items():
        value = row.get(f"label::{column}", "").strip()
        if not value:
            raise RegistryError(f"{source}: {where}: missing label::{column}")
        items.append((lang, value))
    return Text(tuple(items))


def load_registry(config: StudyConfig) -> Registry:
    """Build the registry from the study's shared choice lists; check it against the config."""
    try:
        shared = read_shared(config)
    except SharedChoicesError as exc:
        raise RegistryError(str(exc)) from exc
    source = shared.path
    spec = config.choices
    columns = config.language_columns()
    for name in (spec.cluster_list, spec.institution_list):
        if name not in shared.lists:
            raise RegistryError(f"{source}: no choice list {name!r}")

    descriptions = {info.code: info.description for info in config.clusters}
    clusters: list[Cluster] = []
    for row in shared.lists[spec.cluster_list]:
        code = row.get("name", "")
        where = f"list {spec.cluster_list!r}, choice {code!r}"
        clusters.append(Cluster(code, _text(row, columns, where, source), descriptions.get(code)))
    codes = [c.code for c in clusters]
    if len(set(codes)) != len(codes):
        raise RegistryError(f"{source}: list {spec.cluster_list!r} has duplicate codes")
    undescribed = set(descriptions) - set(codes)
    if undescribed:
        raise RegistryError(
            f"{config.path}: clusters {sorted(undescribed)} are not in list "
            f"{spec.cluster_list!r} of {source}"
        )

    institutions: list[Institution] = []
    seen: set[str] = set()
    for row in shared.lists[spec.institution_list]:
        code = row.get("name", "")
        where = f"list {spec.institution_list!r}, choice {code!r}"
        if code in seen:
            raise RegistryError(f"{source}: {where}: duplicate code")
        seen.add(code)
        cluster = row.get(spec.institution_cluster_column, "").strip() or None
        if code == spec.other_institution:
            if cluster is not None:
                raise RegistryError(f"{source}: {where}: the 'other' choice must have no cluster")
        elif cluster is None:
            raise RegistryError(f"{source}: {where}: no {spec.institution_cluster_column!r} value")
        elif cluster not in codes:
            raise RegistryError(f"{source}: {where}: unknown cluster {cluster!r}")
        institutions.append(Institution(code, _text(row, columns, where, source), cluster))
    if spec.other_institution not in seen:
        raise RegistryError(
            f"{source}: list {spec.institution_list!r} has no {spec.other_institution!r} choice"
        )
    return Registry(source, tuple(clusters), tuple(institutions), spec.other_institution)
