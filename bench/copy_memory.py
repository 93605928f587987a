"""Memory that copies of page elements keep: ``copy.deepcopy`` against ``extract._dom.copy_tree``.

Each round parses a small page whose post body and comment hold ids and an anchor's name no
other page has (as every post's and comment's do), copies the body and the whole page (what
the key observations of a page without a known post body are read from), and drops
everything. Prints the resident size every fifth of the rounds: with ``deepcopy`` it grows,
because libxml2 keeps each copied id in the string dictionary lxml shares between a thread's
documents; with ``copy_tree`` it stays.

    python bench/copy_memory.py [--rounds 200000]
"""

from __future__ import annotations

import argparse
import copy
import resource

from extract import _dom


def resident_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(name: str, copier, rounds: int) -> None:  # type: ignore[no-untyped-def]
    start = resident_mb()
    print(f"{name}: resident MB every {rounds // 5:,} rounds:", end="", flush=True)
    for n in range(rounds):
        page = (
            f"<html><body><div class='post-body' id='post-body-{n}'><p>Text of post {n}.</p>"
            f"<ol><li class='comment' id='c{n}'><p id='c{n}-ce'>A <a name='fn-{n}'>comment</a>.</p>"
            "</li></ol>"
            "</div></body></html>"
        )
        root = _dom.parse(page, f"https://example.org/{n}.html")
        copier(root.find("body/div"))
        copier(root)
        if (n + 1) % (rounds // 5) == 0:
            print(f" {resident_mb():.0f}", end="", flush=True)
    print(f"  (grew {resident_mb() - start:.0f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200_000)
    args = parser.parse_args()
    run("copy_tree", _dom.copy_tree, args.rounds)
    run("deepcopy ", copy.deepcopy, args.rounds)


if __name__ == "__main__":
    main()
