/// Deterministic mode: dropout is the identity, so its nodes disappear and
/// their readers read the dropout's input.
enum EliminateDropout {
    static func run(_ graph: inout Graph, log: (String) -> Void) {
        var index = 0
        while index < graph.nodes.count {
            guard case .dropout = graph.nodes[index].operation else { index += 1; continue }
            let node = graph.nodes.remove(at: index)
            graph.redirect(node.output, to: node.inputs[0])
            log("eliminate \(node.name)")
        }
    }
}
