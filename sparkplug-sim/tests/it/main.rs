//! Integration tests of the simulator: determinism, the host's view, faults, commands, brokers.
