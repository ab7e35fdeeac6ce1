#!/usr/bin/env python3
"""Structure limits of the Swift sources, checked by CI: no file over 400 lines and no
function, initializer or closure-bodied property over 80 lines. Generated code
(`Protos/Generated`) is exempt. Prints every offender and exits 1 if there is one.

    python3 Scripts/check-structure.py [--max-file 400] [--max-function 80] [ROOT ...]
"""
import argparse
import os
import re
import sys

DECLARATION = re.compile(
    r"^\s*(?:@[\w().:, =\"]+\s+)*(?:(?:public|package|private|fileprivate|internal|open|static|"
    r"class|final|override|mutating|nonmutating|nonisolated|convenience|required|@inlinable|"
    r"@usableFromInline|@discardableResult)\s+)*(func\s+[^\s(<]+|init[?!]?\s*[(<]|subscript\s*[(<]|"
    r"(?:var|let)\s+\w+\s*:[^=]*\{\s*$)")


def code_of(line):
    """The line without string literals and // comments (enough to count braces)."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    return line.split("//", 1)[0]


def long_functions(path, limit):
    with open(path, encoding="utf-8") as file:
        lines = file.read().split("\n")
    found = []
    index = 0
    in_block_string = False
    while index < len(lines):
        line = lines[index]
        if line.count('"""') % 2 == 1:
            in_block_string = not in_block_string
        match = None if in_block_string else DECLARATION.match(line)
        if not match:
            index += 1
            continue
        # The body starts at the first "{" from here; count braces to its end.
        depth = 0
        started = False
        end = index
        block = False
        for number in range(index, len(lines)):
            text = lines[number]
            if text.count('"""') % 2 == 1:
                block = not block
                continue
            if block:
                continue
            code = code_of(text)
            for character in code:
                if character == "{":
                    depth += 1
                    started = True
                elif character == "}":
                    depth -= 1
            if started and depth <= 0:
                end = number
                break
            if not started and code.rstrip().endswith(("}", ")")) and "{" not in code and number > index + 8:
                break  # a requirement without a body
        if started:
            length = end - index + 1
            if length > limit:
                found.append((index + 1, length, match.group(1).strip()))
            index = end + 1 if length > limit else index + 1
        else:
            index += 1
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-file", type=int, default=400)
    parser.add_argument("--max-function", type=int, default=80)
    parser.add_argument("roots", nargs="*", default=["Sources"])
    arguments = parser.parse_args()
    problems = []
    for root in arguments.roots:
        for directory, _, files in os.walk(root):
            if "Protos/Generated" in directory:
                continue
            for name in sorted(files):
                if not name.endswith(".swift"):
                    continue
                path = os.path.join(directory, name)
                with open(path, encoding="utf-8") as file:
                    count = sum(1 for _ in file)
                if count > arguments.max_file:
                    problems.append(f"{path}: {count} lines (at most {arguments.max_file})")
                for line, length, name_ in long_functions(path, arguments.max_function):
                    problems.append(
                        f"{path}:{line}: {name_} is {length} lines (at most {arguments.max_function})")
    for problem in problems:
        print(problem)
    print(f"{len(problems)} over the limits" if problems else "every file and function within the limits")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
