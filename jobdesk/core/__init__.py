"""Qt-free state shared by the client and the server: pure logic, no I/O."""
