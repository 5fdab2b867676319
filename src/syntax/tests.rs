//! Table tests for the parser: accepted and rejected inputs.
