"""Qt-free, network-free state shared by the client and the GUI: the job store, the
connection state, reconnect timing and the while-you-were-away summary."""
