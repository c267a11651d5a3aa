import MedaugTestSupport
import Foundation
import XCTest
import MedaugModels
@testable import MedaugTrainer

final class SegmenterStepTests: XCTestCase {
    /// The step's gradient is the network's backward of d(CE)/d(logits) +
    /// w·d(Dice)/d(logits), bit for bit, and its losses are the two losses
    /// of the training-mode logits. (Each loss's gradient and the network's
    /// backward are checked against finite differences in their own tests;
    /// a finite difference through CE + Dice + a whole ReLU network is
    /// dominated by kinks and round-off at this size.)
    func testGradientIsThatOfCrossEntropyPlusDice() throws {
        let config = TinyNetworks.segmenterConfig(imageSize: 8, depth: 2, baseFilters: 2)
        let segmenter = try SegmenterNetwork(config: config), reference = try SegmenterNetwork(config: config)
        TinyNetworks.randomize(segmenter, seed: 11)
        TinyNetworks.randomize(reference, seed: 11)
        let step = try SegmenterStep(segmenter: segmenter, options: SegmenterStepOptions(diceWeight: 0.5))
        var rng = TestRandom(mixingSeed: 411)
        let images = rng.tensor(shape(2, 1, 8, 8)), labels = rng.labels(n: 2, h: 8, w: 8, classes: 2)
        let losses = try step.computeGradients(images: images, labels: labels)

        let crossEntropy = CrossEntropyLoss(), dice = try SoftDiceLoss(smoothing: 1)
        reference.zeroGradients()
        let logits = try reference.forward(images, mode: .training)
        let crossEntropyValue = try crossEntropy.evaluate(logits: logits, labels: labels)
        let diceValue = try dice.evaluate(logits: logits, labels: labels)
        let gradient = TrainTensor(shape: logits.shape)
        for i in 0..<gradient.count { gradient.pointer[i] = crossEntropy.gradient.pointer[i] + 0.5 * dice.gradient.pointer[i] }
        _ = try reference.backward(gradient)

        XCTAssertEqual(losses.crossEntropy, crossEntropyValue)
        XCTAssertEqual(losses.dice, diceValue)
        XCTAssertEqual(losses.total, crossEntropyValue + 0.5 * diceValue)
        for (trained, expected) in zip(segmenter.trainableParameters, reference.trainableParameters) {
            XCTAssertEqual(Array(trained.gradient), Array(expected.gradient), trained.name)
        }
        XCTAssertTrue(segmenter.trainableParameters.contains { $0.gradient.contains { $0 != 0 } })
    }

    func testStepsAfterTheFirstReuseTheirBuffers() throws {
        let segmenter = try SegmenterNetwork(config: TinyNetworks.segmenterConfig(imageSize: 16, depth: 2,
                                                                                baseFilters: 4))
        segmenter.initialize(seed: 12)
        let step = try SegmenterStep(segmenter: segmenter)
        var rng = TestRandom(mixingSeed: 413)
        let images = rng.tensor(shape(2, 1, 16, 16)), labels = rng.labels(n: 2, h: 16, w: 16, classes: 2)
        try step.step(images: images, labels: labels)
        let output = try segmenter.forward(images, mode: .training).pointer
        let growth = try smallestHeapGrowth { for _ in 0..<4 { try step.step(images: images, labels: labels) } }
        if let growth { XCTAssertLessThanOrEqual(growth.bytes, 0, "every run of 4 steps left the heap larger") }
        XCTAssertEqual(try segmenter.forward(images, mode: .training).pointer, output)
        XCTAssertEqual(step.stepCount, 1 + 4 * (growth?.runs ?? 1))
    }

    func testBadLabelsAreRefused() throws {
        let segmenter = try SegmenterNetwork(config: TinyNetworks.segmenterConfig())
        let step = try SegmenterStep(segmenter: segmenter)
        let labels = LabelMap(n: 1, h: 8, w: 8, repeating: 2)
        XCTAssertThrowsError(try step.step(images: TrainTensor(shape: shape(1, 1, 8, 8)), labels: labels)) {
            XCTAssertEqual($0 as? TrainerError, .labelOutOfRange(label: 2, classes: 2))
        }
        XCTAssertEqual(step.stepCount, 0)
    }

    /// Horizontal stripes inside a disc (mean +0.2), vertical outside (mean
    /// 0), plus N(0, 0.3²) noise: the best single intensity threshold scores
    /// foreground Dice below 0.8 (asserted), while 100 steps at batch 2 reach
    /// ≥ 0.9 on held-out images (argmax of the eval-mode softmax).
    func testLearnsToSeparateTwoTextures() throws {
        let segmenter = try SegmenterNetwork(config: TinyNetworks.segmenterConfig(imageSize: 16, depth: 2,
                                                                                baseFilters: 4))
        segmenter.initialize(seed: 1)
        let step = try SegmenterStep(segmenter: segmenter,
                                     options: SegmenterStepOptions(adam: AdamOptions(learningRate: 3e-3)))
        var rng = TestRandom(mixingSeed: 41)
        let train = SyntheticData.discMaps(count: 32, size: 16, seed: 8)
        let heldOut = SyntheticData.discMaps(count: 8, size: 16, seed: 18)
        let trainImages = train.map { SyntheticData.texturedImage(for: $0, noise: 0.3, meanShift: 0.2, rng: &rng) }
        let heldOutImages = heldOut.map { SyntheticData.texturedImage(for: $0, noise: 0.3, meanShift: 0.2, rng: &rng) }
        // The best single threshold (either direction) on the held-out set.
        var bestThreshold = 0.0
        for t in stride(from: -1.5, through: 1.5, by: 0.02) {
            for above in [true, false] {
                var both = 0, predictedCount = 0, truthCount = 0
                for (image, map) in zip(heldOutImages, heldOut) {
                    for i in 0..<256 {
                        let isForeground = above ? image.pointer[i] > Float(t) : image.pointer[i] < Float(t)
                        predictedCount += isForeground ? 1 : 0
                        truthCount += map.pointer[i] == 1 ? 1 : 0
                        both += isForeground && map.pointer[i] == 1 ? 1 : 0
                    }
                }
                bestThreshold = max(bestThreshold, 2 * Double(both) / Double(max(1, predictedCount + truthCount)))
            }
        }
        XCTAssertLessThan(bestThreshold, 0.8, "a single intensity threshold must not solve this set")
        let images = TrainTensor(shape: shape(2, 1, 16, 16)), labels = LabelMap(n: 2, h: 16, w: 16)
        for s in 0..<100 {
            for b in 0..<2 {
                let k = (2 * s + b) % train.count
                images.image(b).update(from: trainImages[k].pointer, count: 256)
                (labels.pointer + 256 * b).update(from: train[k].pointer, count: 256)
            }
            try step.step(images: images, labels: labels)
        }
        var intersection = 0, predicted = 0, truth = 0
        for (image, map) in zip(heldOutImages, heldOut) {
            let probabilities = try segmenter.forward(image, mode: .inference)
            for i in 0..<256 {
                let isForeground = probabilities.pointer[256 + i] > probabilities.pointer[i]
                let isTrue = map.pointer[i] == 1
                predicted += isForeground ? 1 : 0
                truth += isTrue ? 1 : 0
                intersection += isForeground && isTrue ? 1 : 0
            }
        }
        let dice = 2 * Double(intersection) / Double(predicted + truth)
        print("segmenter smoke test: held-out foreground Dice \(dice) after 100 steps (best threshold \(bestThreshold))")
        XCTAssertGreaterThanOrEqual(dice, 0.9)
    }
}

/// The smallest growth of the heap in use over up to `maxRuns` runs of
/// `body`, stopping at the first run that leaves it no larger, and the
/// number of runs made; nil where the heap cannot be read. The counter is
/// process-wide, so threads of earlier tests (Dispatch workers starting or
/// retiring, worker pools of freed sessions exiting) move it too: seen in
/// full runs as 368 bytes fewer and, under the AVX2 emulation (qemu, where
/// everything is slower), 80 bytes more in every run of 4 steps. So each
/// run starts once the counter has held still for 50 ms (`settledHeapBytes`),
/// and up to five runs are made. An allocation that `body` keeps shows in
/// every run, so it still fails the caller's check.
func smallestHeapGrowth(maxRuns: Int = 5, _ body: () throws -> Void) throws -> (bytes: Int, runs: Int)? {
    var smallest = Int.max
    for run in 1...maxRuns {
        guard let before = settledHeapBytes() else { return nil }
        try body()
        guard let after = heapBytesInUse() else { return nil }
        smallest = min(smallest, after - before)
        if smallest <= 0 { return (smallest, run) }
        print("heap check: run \(run) grew by \(after - before) bytes")   // for the log: what moved it
    }
    return (smallest, maxRuns)
}

/// The heap in use once it has not changed for 50 ms, waiting at most 2 s
/// (then the last reading).
func settledHeapBytes() -> Int? {
    guard var last = heapBytesInUse() else { return nil }
    for _ in 0..<40 {
        usleep(50_000)
        guard let now = heapBytesInUse() else { return nil }
        if now == last { return now }
        last = now
    }
    return last
}

/// Bytes of the heap in use (glibc's `mallinfo2().uordblks`), or nil where
/// it cannot be read: equal before and after a run of steps when the steps
/// keep nothing they allocate.
///
/// Glibc's module map leaves out <malloc.h>, so the function is looked up
/// with dlsym. `struct mallinfo2` is ten `size_t`s, returned in memory: on
/// x86-64 (System V) the caller passes the result's address as a hidden
/// first argument, which the signature below spells out. Other
/// architectures pass it elsewhere (AArch64: x8) and get nil.
func heapBytesInUse() -> Int? {
    #if os(Linux) && arch(x86_64)
    typealias MallInfo2 = @convention(c) (UnsafeMutableRawPointer) -> UnsafeMutableRawPointer?
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallinfo2") else { return nil }
    let function = unsafeBitCast(symbol, to: MallInfo2.self)
    var fields = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return withUnsafeMutableBytes(of: &fields) { buffer in
        _ = function(buffer.baseAddress!)
        return buffer.load(fromByteOffset: 7 * MemoryLayout<Int>.stride, as: Int.self)  // uordblks
    }
    #else
    return nil
    #endif
}
