#!/usr/bin/env python3
"""Writes the worst model cards the reader's bounds allow, to measure peak memory.

Each card stays just inside the bounds (a 4 MiB file, 250,000 nodes and 8 MiB of text after
alias expansion, 64 levels of nesting), so the reader builds the largest tree it ever will:

  nodes/  a mapping of 1,000 entries aliased 120 times (about 240,000 nodes)
  text/   a 4,000-byte string aliased 2,090 times (about 8.0 MiB of text)
  both/   1,000 entries of 30 bytes aliased 115 times (near both bounds)
  flat/   a 4 MiB list of short strings with no alias (near the file-size bound)

Usage: bench/hostile/worst_cards.py DIR, then for each card
  /usr/bin/time -f '%M KB' aimsgate check DIR/<name>/model-card.yaml --now 2026-11-20
"""
import os
import sys


def card(root, name, body):
    os.makedirs(os.path.join(root, name), exist_ok=True)
    with open(os.path.join(root, name, "model-card.yaml"), "w") as f:
        f.write(body)


def main():
    root = sys.argv[1]
    entries = "\n".join(f"    k{i:04d}: v{i:04d}" for i in range(1000))
    card(root, "nodes", "anchor: &m\n" + entries + "\ncopies:\n"
         + "\n".join("  - *m" for _ in range(120)) + "\ngovernance:\n  owner: x\n")
    card(root, "text", f"anchor: &s \"{'x' * 4000}\"\ncopies: ["
         + ", ".join(["*s"] * 2090) + "]\ngovernance:\n  owner: x\n")
    entries = "\n".join(f"    k{i:04d}: \"{'y' * 30}\"" for i in range(1000))
    card(root, "both", "anchor: &m\n" + entries + "\ncopies:\n"
         + "\n".join("  - *m" for _ in range(115)) + "\ngovernance:\n  owner: x\n")
    lines = "\n".join(f"  - \"{'z' * 24}{i:06d}\"" for i in range(112000))
    card(root, "flat", "notes:\n" + lines + "\ngovernance:\n  owner: x\n")


if __name__ == "__main__":
    main()
