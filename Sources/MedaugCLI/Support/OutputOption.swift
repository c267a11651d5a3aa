import ArgumentParser

/// `--out` is the one spelling of every command's output option (a file, a
/// folder or a path prefix). A command's older spelling (`--out-dir`,
/// `--output`, `--out-prefix`) stays as a hidden alias; this resolves the
/// pair, refusing both at once.
func resolveOut(_ out: String?, alias: String?, aliasName: String) throws -> String? {
    if out != nil && alias != nil {
        throw ValidationError("give --out once (--\(aliasName) is an old spelling of it)")
    }
    return out ?? alias
}
