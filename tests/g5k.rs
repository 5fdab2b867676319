//! roles/g5k against the Grid'5000 API double.
