//! `slurp`: read a file from the host into a registered value (base64, as Ansible does).

use base64::Engine as _;

use crate::modules::def::ModuleDef;
use crate::modules::spec::{ArgType, ModuleSpec, req};
use crate::modules::{Args, ModuleCx, ModuleError, Outcome};
use crate::shell::quote;

pub const SPEC: ModuleSpec = ModuleSpec::new(&[req("src", ArgType::Str)]);

pub async fn run(args: &Args, cx: &ModuleCx<'_>) -> Result<Outcome, ModuleError> {
    let src = args.str("src")?;
    let out = cx.sh_probe(&format!("cat -- {}", quote(&src))).await?;
    if !out.success()
        && cx.check
        && cx
            .sh_probe(&format!("test -e {}", quote(&src)))
            .await?
            .status
            == Some(1)
    {
        return Ok(Outcome::absent_in_check(&format!("`{src}` does not exist")));
    }
    if !out.success() {
        return Err(ModuleError::Remote {
            what: format!("cannot read `{src}`"),
            reason: out.failure_reason(),
        });
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(&out.stdout);
    Ok(Outcome::ok()
        .data("content", encoded)
        .data("encoding", "base64")
        .data("source", src.as_str()))
}

pub const DEF: ModuleDef = ModuleDef::new("slurp", &SPEC, |args, cx| Box::pin(run(args, cx)));
