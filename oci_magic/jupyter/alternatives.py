"""A candidate the user chose instead of the one the run chose (the widget's "Use candidate N instead"),
put in the notebook: the run's inserted cell for that round (or, when only the final cell was inserted, that
cell) gets the candidate's code, through the JupyterLab extension, which leaves a cell the user edited
since as it is. Undo then removes the cell as it now reads.
"""

from __future__ import annotations

from oci_magic.jupyter.cells import NewCell
from oci_magic.jupyter.manager import Insertion, OciMagics
from oci_magic.jupyter.protocol import kernel_message
from oci_magic.loop.records import Round, Run

__all__ = ["put_in_cell"]


def put_in_cell(oci: OciMagics, run: Run, round_: Round, number: int) -> str:
    """Ask JupyterLab to put candidate `number` of `round_` in the run's cell; a line saying what happens."""
    record = oci.record(run)
    code_cells = [cell for cell in record.cells if cell.cell_type == "code"]
    if record.insertion != Insertion.JUPYTERLAB or not oci.bridge.connected or not code_cells:
        return (
            "the notebook's cell is unchanged: only the JupyterLab extension can change a cell from here; "
            "copy the code above into the cell"
        )
    same_round = [c for c in code_cells if c.metadata["oci_magic"]["round"] == round_.index]
    cell = (same_round or code_cells)[-1]
    code = round_.candidates[number].code
    mark = {**cell.metadata["oci_magic"], "candidate": number + 1}
    oci.bridge.send(
        kernel_message(
            "replace_cell",
            run=run.id,
            round=mark["round"],
            source=cell.source,
            code=code,
            metadata={"oci_magic": mark},
        )
    )
    # Undo removes the cell by the source it now holds.
    record.cells = [NewCell(code, {"oci_magic": mark}) if c is cell else c for c in record.cells]
    return f"JupyterLab puts candidate {number + 1}'s code in the run's cell (a cell you edited stays as is)"
