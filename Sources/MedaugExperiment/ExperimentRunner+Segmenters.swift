import Dispatch
import Foundation
import MedaugModels
import MedaugTrainer

extension ExperimentRunner {
    /// One trained segmenter.
    public struct SegmenterRun {
        public var seed: UInt64
        public var weights: String
        public var history: [SegmenterEpoch]
    }

    /// Trains segmenter seed k of every arm, `config.threads` trainings at
    /// once, each on one thread, and scores the quality gate (which
    /// `gan_gated` trains on) as soon as the `real` arm's seed 0 is done.
    ///
    /// Why one thread per training: the quick preset's segmenter (3 levels,
    /// 8 base filters, batches of 8 crops of 64×64) is too small to split.
    /// Measured with `medaug train-seg` on its recipe (120 steps, release,
    /// avx512 host): 11.9 s on one thread, about the same on two (perf: 14 %
    /// of the time waking threads), and two one-thread trainings at once
    /// 11.3 s in all. So the pool doubles the throughput on 2 cores, and
    /// every segmenter's numbers are the same whatever `--threads` is.
    ///
    /// The jobs run in a fixed order (`real` first, `gan_gated` last); a
    /// result depends only on its arm and seed, never on which worker ran it
    /// or when. A failure stops the pool from starting new jobs; running
    /// ones finish, and the first error is thrown.
    func trainSegmenters(arms: [ExperimentArm]) throws -> (runs: [ExperimentArm: [SegmenterRun]], gate: GateReport?) {
        let ordered = [.real] + arms.filter { $0 != .real && $0 != .ganGated } + (arms.contains(.ganGated) ? [.ganGated] : [])
        let jobs = ordered.flatMap { arm in (0..<preset.seeds).map { (arm: arm, k: $0) } }
        let stepsPerJob = preset.segmenterEpochs * preset.segmenterStepsPerEpoch
        let state = NSLock()
        var next = 0, stepsDone = 0
        var results: [Int: SegmenterRun] = [:]
        var failure: Error?
        // The callers' closures are not made for several threads.
        let (log, progress) = (self.log, self.progress)
        self.log = { message in state.withLock { log(message) } }
        self.progress = { stage, done, total in state.withLock { progress(stage, done, total) } }
        defer { (self.log, self.progress) = (log, progress) }

        // The gate needs the real arm's seed 0, which is the first job taken.
        let realSeedZero = DispatchGroup()
        realSeedZero.enter()
        let gateLock = NSLock()
        var gate: GateReport?
        func scoreGate() throws -> GateReport {
            try gateLock.withLock {
                if let gate { return gate }
                realSeedZero.wait()
                guard let first = state.withLock({ results[0] }) else {
                    throw ExperimentError.stageFailed("the real arm's seed 0 did not train, so nothing can score the quality gate")
                }
                let t0 = DispatchTime.now().uptimeNanoseconds
                self.log("quality gate…")
                let report = try qualityGate(segmenter: first.weights)
                self.log(String(format: "  quality gate: %.0f s", Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9))
                gate = report
                return report
            }
        }

        let workers = max(1, min(config.threads, jobs.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index: Int? = state.withLock {
                    guard failure == nil, next < jobs.count else { return nil }
                    defer { next += 1 }
                    return next
                }
                guard let index else { return }
                let (arm, k) = jobs[index]
                do {
                    if arm == .ganGated { _ = try scoreGate() }
                    let run = try trainSegmenter(arm, k) { steps in
                        state.withLock {
                            stepsDone += steps
                            progress("segmenters", stepsDone, jobs.count * stepsPerJob)
                        }
                    }
                    state.withLock { results[index] = run }
                } catch {
                    state.withLock { if failure == nil { failure = error } }
                }
                if index == 0 { realSeedZero.leave() }
            }
        }
        if let failure { throw failure }
        var runs: [ExperimentArm: [SegmenterRun]] = [:]
        for (index, job) in jobs.enumerated() { runs[job.arm, default: []].append(results[index]!) }
        // The gate is reported whenever there are generator pairs to score.
        return (runs, Self.expandedSets(arms).contains(.gan) ? try scoreGate() : nil)
    }

    /// Trains (or, when its stage is finished, reads back) segmenter seed
    /// `k` of `arm` on one thread; `advance(n)` reports n more steps done.
    private func trainSegmenter(_ arm: ExperimentArm, _ k: Int, advance: @escaping (Int) -> Void) throws -> SegmenterRun {
        let name = "segmenter-\(arm.rawValue)-seed\(k)"
        let weights = out + "/weights/\(name).safetensors"
        let historyPath = out + "/weights/\(name).history.json"
        let seed = config.seed &+ UInt64(k)
        if ledger.contains(Self.segmenterStage(arm, k)) {
            advance(preset.segmenterEpochs * preset.segmenterStepsPerEpoch)
            return SegmenterRun(seed: seed, weights: weights, history: try read(json: [SegmenterEpoch].self, from: historyPath))
        }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let train = try TrainingPairs.load(folder: arm == .real ? data : setFolder(arm), split: .train,
                                           includeSynthetic: arm != .real)
        let validation = try TrainingPairs.load(folder: data, split: .val, includeSynthetic: false)
        let m = train.manifest
        var config = SegmenterConfig.standard(imageSize: train.height, classes: m.classes, labelValues: m.labelValues,
                                              channelNames: m.channels, depth: preset.segmenterDepth,
                                              baseFilters: preset.segmenterBaseFilters,
                                              leakyReluSlope: preset.segmenterRecipe.leakyReluSlope)
        config.preparation = m.preparation
        var options = SegmenterTraining.Options()
        options.epochs = preset.segmenterEpochs
        options.stepsPerEpoch = preset.segmenterStepsPerEpoch
        options.batchSize = preset.segmenterBatch
        options.seed = seed
        options.threads = 1
        options.step.adam.learningRate = preset.segmenterLearningRate
        preset.segmenterRecipe.apply(to: &options)
        let training = try SegmenterTraining(config: config, train: train, validation: validation, options: options)
        let checkpoint = out + "/weights/\(name).checkpoint.safetensors"
        if resume && FileManager.default.fileExists(atPath: checkpoint) {
            let history = try training.resume(from: checkpoint)
            log("  \(arm.rawValue) seed \(k): continuing after epoch \(history.count) from \(checkpoint)")
        }
        advance(training.history.count * preset.segmenterStepsPerEpoch)
        let history = try training.run(bestPath: weights, checkpointPath: checkpoint, progress: { _, _, _ in advance(1) })
        try TrainingPictures.writeSegmenter(training, samples: out + "/pictures/\(name).png", curves: out + "/curves/\(name).svg")
        try write(json: history, to: historyPath)
        try ledger.finish(Self.segmenterStage(arm, k))
        try? FileManager.default.removeItem(atPath: checkpoint)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let bestDice: Double = history.compactMap { $0.valDice }.max() ?? .nan
        log(String(format: "  %@ seed %d: %.0f s, best val Dice %.3f", arm.rawValue, k, seconds, bestDice))
        return SegmenterRun(seed: seed, weights: weights, history: history)
    }
}
