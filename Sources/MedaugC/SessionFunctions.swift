import MedaugEngine

@_cdecl("medaug_session_create")
public func medaug_session_create(_ model: OpaquePointer?, _ options: UnsafeRawPointer?,
                                  _ session: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    serve("medaug_session_create") {
        let out = try Arguments.required(session, "session")
        out.pointee = nil
        let model = try HandleRegistry.shared.model(model)
        let fields = try StructLayout.sessionOptions.read(options)
        let threads = fields.int32(at: 8)
        guard (0...256).contains(threads) else {
            throw ABIFailure.invalid("options->threads is \(threads), expected 1...256 (or 0 for the default)")
        }
        guard fields.int32(at: 12) == 0 else {
            throw ABIFailure(status: Status.unsupported, message: "options->reserved is \(fields.int32(at: 12)), expected 0")
        }
        let created = try model.makeSession(threads: threads == 0 ? 1 : Int(threads))
        let limit = fields.uint64(at: 16)
        if limit != 0 { created.maxArenaBytes = Int(clamping: limit) }
        out.pointee = HandleRegistry.shared.register(created)
    }
}

@_cdecl("medaug_session_free")
public func medaug_session_free(_ session: OpaquePointer?) -> Int32 {
    serve("medaug_session_free") { try HandleRegistry.shared.releaseSession(session) }
}
