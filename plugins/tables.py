"""Gates from truth-table files (.pla, .truth, .blif) that `[tool.gatenet] tables` lists in ./pyproject.toml.

    [tool.gatenet]
    tables = ["tables/", "extra/adder.pla"]

Each file is one gate named after its stem (`gatenet.table_files`); a folder gives its files with
those suffixes. A bad file costs only itself: the good ones are registered, then one error lists the
bad ones, each naming its file and line.
"""

import gatenet
from gatenet.table_files import TableFileError, project_gates


@gatenet.hookimpl
def register_gates(register):
    gates, problems = project_gates()
    for gate in gates:
        register(gate)
    if problems:
        raise TableFileError("; ".join(problems))
