"""The `medaug` command of a wheel: runs the command-line tool bundled in the
package (medaug/bin/medaug). Source installs (`pip install bindings/python`)
have no bundled tool and no `medaug` command; build it with `swift build`."""
import os
import sys


def main() -> None:
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "medaug")
    if not os.access(tool, os.X_OK):
        sys.stderr.write(f"medaug: this package has no bundled command-line tool ({tool} is missing); "
                         "install a medaug wheel, or build the tool with `swift build --product medaug`\n")
        sys.exit(1)
    os.execv(tool, [tool, *sys.argv[1:]])


if __name__ == "__main__":
    main()
