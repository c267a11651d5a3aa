import Foundation
import MedaugImaging

/// What `Expander.expandDataset` makes from a dataset folder, step by step.
/// The staged expansion (`Expander.planDataset`, `writeSteps`,
/// `finishDataset`) shares it between processes or machines: every step
/// depends only on the inputs, the options and its index, so a folder
/// written in ranges by many workers, in any order and with retries, is
/// byte-identical to the in-process expansion's (at the same CPU tier and
/// threads per call).
public struct DatasetExpansionPlan: Equatable, Sendable {
    /// The input's real train pairs (the expansion's sources).
    public var realPairs: Int
    /// The new pairs, in the order they are numbered in the output.
    public var steps: [ExpansionStep]

    /// `{"real_pairs": n, "target": t, "steps": [{"index": i, "recipe":
    /// "generated" | "classic", "source": s, "edit": b, "seed": "…"}, …]}`;
    /// seeds are decimal strings (they use all 64 bits, beyond what many
    /// JSON readers keep exact).
    public func jsonString() -> String {
        let steps = self.steps.enumerated().map { index, step -> JSONValue in
            .object(["index": .number(Double(index)), "recipe": .string(step.recipe.rawValue),
                     "source": .number(Double(step.source)), "edit": .bool(step.edit), "seed": .string(String(step.seed))])
        }
        let plan: JSONValue = .object(["real_pairs": .number(Double(realPairs)),
                                       "target": .number(Double(realPairs + self.steps.count)), "steps": .array(steps)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(plan)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// What `writeSteps` records in the staging folder once a range's files are
/// all written (`.steps/<first>-<end>.json`).
private struct StagedRange: Codable {
    var first: Int
    var items: [DatasetManifest.Item]
}

extension Expander {
    /// The staging folder's bookkeeping: one record per finished range.
    static let stagingRecords = ".steps"

    /// The plan `expandDataset` and `writeSteps` follow for `input` with
    /// `options` (reads the manifest only).
    /// - Throws: `ExpansionError.invalidArgument` for a folder that is not a
    ///   dataset folder, one without real train items, or bad options.
    public static func planDataset(input: String, options: ExpansionOptions) throws(ExpansionError) -> DatasetExpansionPlan {
        let manifest: DatasetManifest
        do { manifest = try DatasetManifest.read(folder: input) } catch { throw .invalidArgument("\(error)") }
        return try plan(manifest, input: input, options: options)
    }

    private static func plan(_ manifest: DatasetManifest, input: String,
                             options: ExpansionOptions) throws(ExpansionError) -> DatasetExpansionPlan {
        let reals = manifest.items.filter { $0.split == .train && !$0.synthetic }.count
        guard reals > 0 else { throw .invalidArgument("'\(input)' has no real train items") }
        return DatasetExpansionPlan(realPairs: reals, steps: try planExpansion(realCount: reals, options: options))
    }

    /// Makes the new pairs of plan steps `range` and writes their files into
    /// `staging`, an existing folder shared by every range of one run (on
    /// the output's file system: `finishDataset` renames it). Ranges may run
    /// in any order, in any process, and again after a crash: a range's
    /// files are written atomically and recorded last, and a rerun writes
    /// the same bytes. `progress(done, range.count)` after each pair; false
    /// cancels (the range stays unrecorded).
    /// - Throws: `ExpansionError.invalidArgument` for a range outside the
    ///   plan, a missing staging folder or an input that does not fit the
    ///   generator; `.failed` when writing fails; `.cancelled`.
    public func writeSteps(_ range: Range<Int>, input: String, staging: String,
                           progress: (Int, Int) -> Bool = { _, _ in true }) throws(ExpansionError) {
        // The range and the staging folder are checked from the manifest
        // alone, before the pairs' images are read.
        let steps = try Self.planDataset(input: input, options: options).steps
        guard range.lowerBound >= 0, range.upperBound <= steps.count, !range.isEmpty else {
            throw .invalidArgument("steps \(range.lowerBound)..<\(range.upperBound) are not a non-empty range of the plan's 0..<\(steps.count)")
        }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: staging, isDirectory: &isFolder), isFolder.boolValue else {
            throw .invalidArgument("the staging folder '\(staging)' does not exist (create it beside the output)")
        }
        let source = try loadSource(input)
        do {
            // mkdir, not `createDirectory(withIntermediateDirectories:)`: a
            // staging folder its run removed (after a failure elsewhere)
            // must make this range fail, not come back to life.
            for folder in ["images", "masks", Self.stagingRecords] where mkdir(staging + "/" + folder, 0o755) != 0 && errno != EEXIST {
                throw ExpansionError.failed("cannot create '\(staging)/\(folder)': \(String(cString: strerror(errno)))")
            }
            let items = try writeItems(of: steps, in: range, source: source, folder: staging) { progress($0, range.count) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let record = staging + "/" + Self.stagingRecords + "/\(range.lowerBound)-\(range.upperBound).json"
            let temporary = record + ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try encoder.encode(StagedRange(first: range.lowerBound, items: items)).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, record) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw ExpansionError.failed("cannot record steps in '\(record)': \(reason)")
            }
        } catch let error as ExpansionError {
            throw error
        } catch {
            throw .failed("\(error)")
        }
    }

    /// Completes a staged expansion: checks that the recorded ranges in
    /// `staging` cover the whole plan exactly, copies the input's real
    /// items in, removes what crashed writers left behind, writes the
    /// manifest and renames `staging` to `output` (replacing it only with
    /// `overwrite`). On failure `output` is untouched and `staging` keeps
    /// its finished ranges, so the missing ones can be written and this
    /// called again.
    /// - Throws: `ExpansionError.invalidArgument` for missing or
    ///   inconsistent ranges, bad options or an existing `output`;
    ///   `.failed` when copying or renaming fails.
    @discardableResult
    public static func finishDataset(input: String, staging: String, output: String, options: ExpansionOptions,
                                     overwrite: Bool = false) throws(ExpansionError) -> DatasetManifest {
        let manager = FileManager.default
        let source: DatasetManifest
        do { source = try DatasetManifest.read(folder: input) } catch { throw .invalidArgument("\(error)") }
        let plan = try plan(source, input: input, options: options)
        let outputURL = URL(fileURLWithPath: output).standardizedFileURL
        guard manager.fileExists(atPath: outputURL.deletingLastPathComponent().path) else {
            throw .invalidArgument("the parent folder of '\(output)' does not exist")
        }
        if manager.fileExists(atPath: outputURL.path) && !overwrite {
            throw .invalidArgument("'\(output)' already exists (choose another folder or overwrite it)")
        }
        let items = try recordedItems(in: staging, stepCount: plan.steps.count)
        let manifest = expandedManifest(source, synthetic: items)
        let records = staging + "/" + stagingRecords, aside = staging + ".steps-aside"
        do {
            try removeStrays(in: staging, keeping: manifest)
            for item in source.items where !item.synthetic {
                for file in [item.image, item.mask] where manager.fileExists(atPath: staging + "/" + file) {
                    try manager.removeItem(atPath: staging + "/" + file)
                }
            }
            try copyRealItems(of: source, from: input, to: staging)
            // The records leave the folder before it becomes the output,
            // and come back if the rename fails (so a retry can finish).
            try? manager.removeItem(atPath: aside)
            try manager.moveItem(atPath: records, toPath: aside)
            do {
                try DatasetWriter.publish(folder: staging, manifest: manifest, to: output)
            } catch {
                try? manager.moveItem(atPath: aside, toPath: records)
                throw error
            }
            try? manager.removeItem(atPath: aside)
        } catch {
            throw .failed("\(error)")
        }
        return manifest
    }

    /// The new items of every recorded range, in plan order.
    private static func recordedItems(in staging: String, stepCount: Int) throws(ExpansionError) -> [DatasetManifest.Item] {
        let folder = staging + "/" + stagingRecords
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var ranges: [Int: (end: Int, items: [DatasetManifest.Item])] = [:]
        for name in names where name.hasSuffix(".json") {
            let bounds = name.dropLast(5).split(separator: "-").compactMap { Int($0) }
            guard bounds.count == 2,
                  let data = FileManager.default.contents(atPath: folder + "/" + name),
                  let record = try? JSONDecoder().decode(StagedRange.self, from: data),
                  record.first == bounds[0], record.items.count == bounds[1] - bounds[0] else {
                throw .invalidArgument("'\(folder)/\(name)' is not a record of written steps")
            }
            ranges[bounds[0]] = (bounds[1], record.items)
        }
        var items: [DatasetManifest.Item] = []
        var next = 0
        while next < stepCount {
            guard let range = ranges[next] else {
                let end = ranges.keys.filter { $0 > next }.min() ?? stepCount
                throw .invalidArgument("steps \(next)..<\(end) of \(stepCount) have not been written to '\(staging)'")
            }
            items += range.items
            next = range.end
        }
        guard next == stepCount, items.count == stepCount, ranges.values.reduce(0, { $0 + $1.items.count }) == stepCount else {
            throw .invalidArgument("the ranges recorded in '\(folder)' overlap or exceed the plan's \(stepCount) steps")
        }
        for item in items {
            for file in [item.image, item.mask] where !FileManager.default.fileExists(atPath: staging + "/" + file) {
                throw .invalidArgument("'\(staging)/\(file)' is recorded but missing")
            }
        }
        return items
    }

    /// Removes from `images/` and `masks/` every file the manifest does not
    /// name (temporary files of writers killed mid-file), and anything else
    /// at the top level but those folders and the records.
    private static func removeStrays(in staging: String, keeping manifest: DatasetManifest) throws {
        let manager = FileManager.default
        let kept = Set(manifest.items.flatMap { [$0.image, $0.mask] })
        for folder in ["images", "masks"] {
            for name in (try? manager.contentsOfDirectory(atPath: staging + "/" + folder)) ?? []
            where !kept.contains(folder + "/" + name) {
                try manager.removeItem(atPath: staging + "/" + folder + "/" + name)
            }
        }
        for name in try manager.contentsOfDirectory(atPath: staging) where !["images", "masks", stagingRecords].contains(name) {
            try manager.removeItem(atPath: staging + "/" + name)
        }
    }
}
