"""Hand-made netlists the logic tests share, with the bit names of the registered gates they compute."""

from gatenet.netlist import FUNCTIONS, Netlist, Node, Output

X = FUNCTIONS
XOR = Netlist(("a", "b"), (Node(X["XOR"], 0, 1),), (Output(2),), ("out",))
FULL_ADDER = Netlist(  # the optimum: 5 gates
    ("a", "b", "carry_in"),
    (
        Node(X["XOR"], 0, 1),
        Node(X["XOR"], 3, 2),
        Node(X["AND"], 0, 1),
        Node(X["AND"], 3, 2),
        Node(X["OR"], 5, 6),
    ),
    (Output(4), Output(7)),
    ("sum", "carry_out"),
)
