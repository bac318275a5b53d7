//! The real SurrealDB server (the `surreal` binary's `main`), for tests and `.ci/run`:
//! `surreal-test-server start --bind 127.0.0.1:PORT --user root --pass root memory`.
//! Built only with `--features test-server`.

fn main() -> std::process::ExitCode {
    surrealdb_server::init(surrealdb_core::CommunityComposer())
}
