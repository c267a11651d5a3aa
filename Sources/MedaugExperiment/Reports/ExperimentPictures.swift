import Foundation
import MedaugImaging
import MedaugReports

extension ExperimentRunner {
    /// `pictures/synthetic-pairs.png` (real mask | real image | new mask |
    /// generated image, for generated pairs) and `pictures/test-overlays.png`
    /// (test image | truth | each arm's seed-0 prediction, as overlays).
    func writePictures(runs: [ExperimentArm: [SegmenterRun]], rows: Int = 6) throws {
        let real = try DatasetPairs.load(folder: data, split: .train)
        let classOf = Dictionary(uniqueKeysWithValues: real.manifest.labelValues.enumerated().map { (Int32($1), Int32($0)) })
        func classes(_ labels: [Int32]) -> [Int32] { labels.map { classOf[$0] ?? -1 } }
        let side = real.pairs[0].height, plane = side * side
        func first(_ pair: ImagePair) -> [Float] { Array(pair.image.prefix(plane)) }

        let gan = try DatasetPairs.load(folder: setFolder(.gan), split: .train, includeSynthetic: true)
        let sourceIndex = Dictionary(uniqueKeysWithValues: real.items.enumerated().map { ($1.id, $0) })
        var synthetic = try SampleGrid(columns: 4, side: side)
        for (item, pair) in zip(gan.items, gan.pairs) where item.source["origin"] == .string("generated") {
            guard synthetic.rowCount < rows, case .string(let from)? = item.source["from"], let s = sourceIndex[from] else { continue }
            try synthetic.addRow([.labels(classes(real.pairs[s].mask)), .image(first(real.pairs[s]), range: -1...1),
                                  .labels(classes(pair.mask)), .image(first(pair), range: -1...1)])
        }
        if synthetic.rowCount > 0 { try synthetic.writePNG(to: out + "/pictures/synthetic-pairs.png") }

        let test = try DatasetPairs.load(folder: data, split: .test)
        let arms = ExperimentArm.allCases.filter { runs[$0] != nil }
        var overlays = try SampleGrid(columns: 2 + arms.count, side: side)
        // Evenly spread test slices.
        let picks = (0..<min(rows, test.pairs.count)).map { $0 * test.pairs.count / min(rows, test.pairs.count) }
        for index in picks {
            let image = first(test.pairs[index])
            var tiles: [SampleGrid.Tile] = [.image(image, range: -1...1),
                                            .overlay(image, range: -1...1, labels: classes(test.pairs[index].mask))]
            for arm in arms {
                let path = out + "/predictions/\(arm.rawValue)/seed-0/\(test.items[index].id).tif"
                let predicted = try TIFFFile.read(path: path).floatValues().map { Int32($0) }
                tiles.append(.overlay(image, range: -1...1, labels: classes(predicted)))
            }
            try overlays.addRow(tiles)
        }
        try overlays.writePNG(to: out + "/pictures/test-overlays.png")
    }
}
