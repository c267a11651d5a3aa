/// Makes skip concatenation free: when every input of a concat is written by
/// a node (not the graph input) and is not already a slice of another concat,
/// the producers write straight into their channel slices of the concat's
/// buffer and the concat itself does nothing. The storage assignment
/// (`Storage`) honours the `inPlace` flag.
enum ConcatInPlace {
    static func run(_ graph: inout Graph, log: (String) -> Void) {
        var claimed = Set<ValueID>()
        for index in graph.nodes.indices {
            guard case .concat(false) = graph.nodes[index].operation else { continue }
            let inputs = graph.nodes[index].inputs
            let eligible = inputs.allSatisfy { value in
                guard value != graph.input, !claimed.contains(value), let producer = graph.producer(of: value) else {
                    return false
                }
                // A concat's output is itself a buffer; it cannot also be a slice.
                if case .concat = graph.nodes[producer].operation { return false }
                return true
            } && Set(inputs).count == inputs.count
            guard eligible else { continue }
            claimed.formUnion(inputs)
            graph.nodes[index].operation = .concat(inPlace: true)
            log("concat \(graph.nodes[index].name) in place")
        }
    }
}
