"""A generated lite.cnn.com mirror of N articles for the performance benchmark.

Deterministic (seeded): the same N and seed give the same bytes. Pages use the markup of
the bundled sample site (`scripts/build_sample_sites.py` renders them: `cnn_article`,
`cnn_index`), with invented text; article pages are 4–15 KB (UTF-8, curly quotes, the
article stylesheet inline, JSON-LD on a third of them). Index pages list `index_size`
articles each (a real CNN Lite index lists about 100): `/` then `/page/2`, `/page/3` …;
give all of them as start URLs.

    .venv/bin/python benchmarks/site.py OUT_DIR [--articles 2000] [--seed 1] [--shape lite|wide]

`--shape wide` (the benchmark's second workload): one index page listing every article,
articles ~4–40 KB (four in five under 13 KB, a fifth long).

Files in OUT_DIR besides the pages: `articles.txt` (article URL paths, one a line) and
`indexes.txt` (index URL paths). `mutate()` edits one paragraph in a fraction of the
articles (a recheck then finds that many edits) and returns what `restore()` needs.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
MIN_BYTES = 4_000
MAX_BYTES = 15_000


def _sample_sites() -> ModuleType:
    """scripts/build_sample_sites.py, imported by path (scripts/ is not a package)."""
    name = "build_sample_sites"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / "build_sample_sites.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module


bss = _sample_sites()

SECTIONS = (
    "politics",
    "business",
    "world",
    "us",
    "health",
    "tech",
    "climate",
    "sport",
    "entertainment",
    "economy",
)
FIRST = ("Natasha", "Haley", "Oren", "Kevin", "Maria", "James", "Priya", "Daniel", "Elena", "Samuel", "Aisha",
         "Tom", "Lucia", "Marcus", "Jenna", "Rafael", "Nadia", "Owen", "Grace", "Ibrahim")  # fmt: skip
LAST = ("Bertrand", "Britzky", "Liebermann", "Liptak", "Alvarez", "Chen", "Okafor", "Schmidt", "Novak", "Patel",
        "Reyes", "Kowalski", "Haddad", "Lindqvist", "Moreau", "Tanaka", "Brennan", "Osei", "Dubois", "Varga")  # fmt: skip
SUBJECTS = ("The committee", "Officials", "The governor", "Researchers", "The company", "Residents", "Lawmakers",
            "The ministry", "Analysts", "The agency", "Investigators", "The mayor", "Doctors", "The union",
            "Prosecutors", "The central bank", "Engineers", "Voters", "The coach", "Aid groups")  # fmt: skip
VERBS = ("said", "announced", "warned", "confirmed", "argued", "reported", "acknowledged", "insisted", "estimated",
         "told CNN", "wrote in a statement", "signalled", "denied", "predicted", "explained")  # fmt: skip
TOPICS = ("the new budget plan", "a shortage of nurses", "rising flood waters", "the trade agreement",
          "the air traffic control system", "a cyberattack on the city’s network", "the wildfire season",
          "an overhaul of the rail network", "interest rates", "the stadium deal", "the drought",
          "the vaccine rollout", "a ban on short-term rentals", "the election timetable", "housing costs",
          "the merger", "water quality in the river", "the strike", "the satellite launch", "school funding")  # fmt: skip
CLAUSES = ("would take effect next month", "had been delayed for years", "was expected to pass easily",
           "could cost billions of dollars", "remained under review", "was a turning point",
           "had drawn criticism from both parties", "would be debated again on Tuesday",
           "had left thousands without power", "was “not the end of the story”", "would face a legal challenge",
           "surprised many in the industry", "had improved since the spring", "was still far from certain",
           "would be decided by the courts", "affected more than 40,000 people")  # fmt: skip
EXTRAS = ("according to figures released on Monday", "in a briefing with reporters", "after weeks of talks",
          "despite earlier assurances", "citing people familiar with the matter", "in a rare public rebuke",
          "as pressure mounted", "late on Thursday", "during a visit to the region", "in an interview")  # fmt: skip
HEAD_VERBS = (
    "faces",
    "rejects",
    "backs",
    "delays",
    "unveils",
    "questions",
    "expands",
    "weighs",
    "halts",
    "wins",
)


def _sentence(rng: random.Random) -> str:
    s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} that {rng.choice(TOPICS)} {rng.choice(CLAUSES)}"
    if rng.random() < 0.5:
        s += f", {rng.choice(EXTRAS)}"
    return s + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 4)))


# The two workloads of the benchmark (benchmarks/run.py --workloads):
# `lite`: index pages of 100 links, articles 4–15 KB (a CNN Lite front page and its archive);
# `wide`: one index page listing every article, articles ~4–40 KB, most small, a fifth long.
SHAPES = {
    "lite": {"index_size": 100, "min_bytes": MIN_BYTES, "max_bytes": MAX_BYTES, "long_share": 0.0},
    "wide": {"index_size": 0, "min_bytes": 3_000, "max_bytes": 40_000, "long_share": 0.2},
}


def _target_size(rng: random.Random, min_bytes: int, max_bytes: int, long_share: float) -> int:
    """A page size: uniform over the range, or (`long_share` > 0) mostly in its lower
    quarter with that share of long pages over the rest."""
    if long_share <= 0:
        return rng.randint(min_bytes + 300, max_bytes - 500)
    split = min_bytes + (max_bytes - min_bytes) // 4
    if rng.random() < long_share:
        return rng.randint(split, max_bytes - 500)
    return rng.randint(min_bytes + 300, split)


def _story(i: int, rng: random.Random, min_bytes: int = MIN_BYTES, max_bytes: int = MAX_BYTES,
           long_share: float = 0.0):  # fmt: skip  # -> bss.CnnStory
    year = rng.choice((2024, 2025, 2026))
    month = rng.randint(1, 5 if year == 2026 else 12)
    day = rng.randint(1, 28)
    hour, minute = rng.randint(6, 22), rng.randint(0, 59)  # never 1–3 AM: no DST gaps or folds
    topic = rng.choice(TOPICS)
    headline = f"{rng.choice(SUBJECTS)} {rng.choice(HEAD_VERBS)} plan on {topic}"
    authors = tuple(f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(1, 3)))
    target = _target_size(rng, min_bytes, max_bytes, long_share)
    story = None
    paras: list[str] = [_paragraph(rng)]
    while True:
        candidate = bss.CnnStory(
            key=f"b{i:06d}", day=f"{year}-{month:02d}-{day:02d}", section=rng.choice(SECTIONS) if story is None
            else story.section, slug=f"{bss.slugify(headline)[:60]}-{i}", headline=headline, authors=authors,
            stamp="Updated" if i % 3 else "Published", stamp_at=f"{year}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}",
            body="\n\n".join(paras), jsonld=i % 3 == 1, canonical=i % 4 == 0,
            first_published=f"{year}-{month:02d}-{day:02d} 06:00" if i % 3 == 1 else None,
        )  # fmt: skip
        size = len(bss.cnn_article(candidate).encode())
        if size > max_bytes:
            return story
        story = candidate
        if size >= target:
            return story
        paras.append(_paragraph(rng))


def generate(
    root: Path,
    articles: int = 2000,
    *,
    seed: int = 1,
    index_size: int = 100,
    min_bytes: int = MIN_BYTES,
    max_bytes: int = MAX_BYTES,
    long_share: float = 0.0,
) -> dict[str, list[str]]:
    """Write the site under `root`; returns {"articles": [paths], "indexes": [paths]}.

    `index_size` 0: one index page lists every article."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    stories = [_story(i, rng, min_bytes, max_bytes, long_share) for i in range(articles)]
    index_size = index_size or max(articles, 1)
    paths = []
    for story in stories:
        target = root / bss.url_to_file(story.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(bss.cnn_article(story).encode())
        paths.append(story.path)
    indexes = []
    for page, start in enumerate(range(0, max(articles, 1), index_size), start=1):
        chunk = stories[start : start + index_size]
        path = "/" if page == 1 else f"/page/{page}"
        (root / bss.url_to_file(path)).parent.mkdir(parents=True, exist_ok=True)
        (root / bss.url_to_file(path)).write_bytes(
            bss.cnn_index([(s.path, s.headline) for s in chunk]).encode()
        )
        indexes.append(path)
    (root / "articles.txt").write_text("".join(p + "\n" for p in paths))
    (root / "indexes.txt").write_text("".join(p + "\n" for p in indexes))
    return {"articles": paths, "indexes": indexes}


def article_paths(root: Path) -> list[str]:
    return (root / "articles.txt").read_text().split()


def index_paths(root: Path) -> list[str]:
    return (root / "indexes.txt").read_text().split()


def article_file(root: Path, path: str) -> Path:
    return root / bss.url_to_file(path)


PARA_OPEN = '<p class="paragraph--lite">\n          '


def mutate(root: Path, fraction: float = 0.1, seed: int = 2) -> dict[str, bytes]:
    """Edit one paragraph (not the "See Full Web Article" link) in `fraction` of the articles.

    Returns {file: original bytes} for `restore`.
    """
    rng = random.Random(seed)
    paths = article_paths(root)
    chosen = rng.sample(paths, round(len(paths) * fraction))
    originals: dict[str, bytes] = {}
    for path in chosen:
        file = article_file(root, path)
        data = file.read_bytes()
        text = data.decode()
        starts = [i for i in range(len(text)) if text.startswith(PARA_OPEN, i)][
            :-1
        ]  # the last one is the link
        at = rng.choice(starts) + len(PARA_OPEN)
        end = text.index("\n", at)
        edited = text[:at] + text[at:end] + " " + bss.esc(_sentence(rng)) + text[end:]
        file.write_bytes(edited.encode())
        originals[str(file)] = data
    return originals


def restore(originals: dict[str, bytes]) -> None:
    for file, data in originals.items():
        Path(file).write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="lite")
    args = parser.parse_args()
    made = generate(args.out, args.articles, seed=args.seed, **SHAPES[args.shape])
    sizes = [article_file(args.out, p).stat().st_size for p in made["articles"]]
    print(f"{len(sizes)} articles, {len(made['indexes'])} index page(s) in {args.out}; "
          f"article bytes min {min(sizes)}, median {sorted(sizes)[len(sizes) // 2]}, max {max(sizes)}")  # fmt: skip


if __name__ == "__main__":
    main()
