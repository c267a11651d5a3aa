import Foundation
import MedaugExpansion
import MedaugImaging

/// Simulated brain lesions on real anatomy (the `mni-lesion` benchmark):
/// each slice of a tissue-labelled T1 dataset gets its own lesion in BraTS
/// label convention, drawn into both the label map and the image.
///
/// What is simulated, and how (all in the image's [-1, 1] network range):
/// - Position: a random centre inside the brain (grey or white matter), far
///   enough from the background that most of the lesion lies in tissue;
///   every slice draws its own, so test lesions sit where no training
///   lesion was.
/// - Shape: three nested regions (oedema ⊃ enhancing rim ⊃ necrotic core),
///   each a radial contour r(θ) = r·(1 + Σ aₖ cos(kθ + φₖ)), k = 2…5, on
///   coordinates warped by a smooth random displacement field (an elastic
///   deformation), so the shapes are irregular and differ from slice to
///   slice. Oedema radius `oedemaRadius` (a fraction of the side), rim
///   0.4–0.65 of it, core 0.25–0.55 of the rim; 20 % of lesions have no
///   necrotic core.
/// - Labels: 2 oedema, 4 enhancing rim, 1 necrotic core (BraTS), written
///   over brain tissue only (the background is never relabelled).
/// - Intensities, relative to the slice's own tissue means: oedema between
///   grey matter and CSF (darker than white matter), necrosis CSF-dark,
///   the enhancing rim brighter than white matter; boundaries blend over
///   about a pixel (soft edges), with smoothed multiplicative texture (±5 %
///   typical).
/// - Scan variation per slice: a smooth multiplicative bias field, a
///   contrast change and Gaussian noise (the classic augmenter's intensity
///   operations).
///
/// This is a simulation: real tumours also deform the anatomy around them
/// (mass effect) and have modality-specific appearances; these do not.
public struct LesionSimulator: Sendable {
    /// Label values of the tissue classes in the input maps.
    public var background: Int32 = 0
    public var otherTissue: Int32 = 5
    public var greyMatter: Int32 = 6
    public var whiteMatter: Int32 = 7
    /// BraTS values written for the lesion.
    public static let necroticCore: Int32 = 1, oedema: Int32 = 2, enhancing: Int32 = 4
    /// Oedema radius range as a fraction of the image side.
    public var oedemaRadius: ClosedRange<Double> = 0.06...0.16

    public init() {}

    /// The classes and label values of a simulated dataset.
    public static let classes = ["background", "necrotic_core", "oedema", "enhancing", "other_tissue", "grey_matter",
                                 "white_matter"]
    public static let labelValues = [0, 1, 2, 4, 5, 6, 7]

    /// `pair` (one channel, square, tissue labels) with a lesion drawn in.
    /// Returns the pair unchanged when the slice holds too little brain.
    public func simulate(_ pair: ImagePair, seed: UInt64) throws -> ImagePair {
        let side = pair.height
        guard pair.width == side, pair.channels == 1 else {
            throw ImagingError.invalidArgument("lesion simulation takes square one-channel slices, found \(pair.channels)x\(pair.height)x\(pair.width)")
        }
        var random = SplitMix64(seed: seed)
        var result = pair
        let brain = pair.mask.indices.filter { pair.mask[$0] == greyMatter || pair.mask[$0] == whiteMatter }
        guard brain.count >= 16 else { return try scanVariation(result, seed: random.next()) }

        // Tissue means of this slice (fallbacks for classes it lacks).
        func mean(_ value: Int32) -> Float? {
            let values = pair.mask.indices.filter { pair.mask[$0] == value }.map { pair.image[$0] }
            return values.isEmpty ? nil : values.reduce(0, +) / Float(values.count)
        }
        let wm = mean(whiteMatter) ?? 0.6, gm = mean(greyMatter) ?? 0.1
        let csf = min(mean(otherTissue) ?? -0.5, gm - 0.2)
        let targets: [Int32: Float] = [
            Self.oedema: gm - 0.35 * (gm - csf),             // darker than WM and GM, above CSF
            Self.necroticCore: csf + 0.1 * (gm - csf),       // CSF-dark
            Self.enhancing: min(1, wm + 0.8 * max(wm - gm, 0.15)),  // brighter than WM
        ]

        // Geometry: nested radii, contour harmonics, a smooth warp.
        let radius = (oedemaRadius.lowerBound + random.uniform() * (oedemaRadius.upperBound - oedemaRadius.lowerBound)) * Double(side)
        let rim = radius * (0.4 + 0.25 * random.uniform())
        var core = random.uniform() < 0.2 ? 0 : rim * (0.25 + 0.3 * random.uniform())
        // A core under 1.5 pixels would be all partial volume: enlarge it,
        // or leave it out when the rim is too small to hold one.
        if core > 0 && core < 1.5 { core = rim >= 3 ? 1.5 : 0 }
        let contours = (0..<3).map { _ in Contour(random: &random) }
        let warp = Warp(random: &random, amplitude: 0.25 * radius, wavelength: 2.5 * radius)
        // A centre in brain tissue with brain around it (best of a few tries).
        let distance = distanceToBackground(pair.mask, side: side)
        var centre = brain[Int(random.next() % UInt64(brain.count))]
        for _ in 0..<32 where Double(distance[centre]) < radius * 0.8 {
            centre = brain[Int(random.next() % UInt64(brain.count))]
        }
        let (cy, cx) = (Double(centre / side), Double(centre % side))

        // Texture: smoothed noise, one value per pixel.
        let texture = smoothNoise(side: side, random: &random, scale: max(2, radius / 3))
        for y in 0..<side {
            for x in 0..<side {
                let index = y * side + x
                guard pair.mask[index] != background else { continue }
                let (wy, wx) = warp.displace(Double(y) - cy, Double(x) - cx)
                let r = (wy * wy + wx * wx).squareRoot(), theta = atan2(wy, wx)
                // Signed distances to each contour (positive inside).
                let dOedema = radius * contours[0].scale(theta) - r
                let dRim = rim * contours[1].scale(theta) - r
                let dCore = core > 0 ? core * contours[2].scale(theta) - r : -1
                guard dOedema > -1.5 else { continue }
                var label = pair.mask[index]
                if dOedema > 0 { label = Self.oedema }
                if dRim > 0 { label = Self.enhancing }
                if dCore > 0 { label = Self.necroticCore }
                result.mask[index] = label
                // Intensity: nested soft blends centred on each contour, so
                // pixels on a boundary mix both sides (partial volume).
                var value = pair.image[index]
                for (d, target) in [(dOedema, targets[Self.oedema]!), (dRim, targets[Self.enhancing]!),
                                    (dCore, targets[Self.necroticCore]!)] {
                    let weight = Float(1 / (1 + exp(-d / 0.3)))
                    value += weight * (target * (1 + 0.05 * texture[index]) - value)
                }
                result.image[index] = value
            }
        }
        return try scanVariation(result, seed: random.next())
    }

    /// A bias field, a contrast change and noise on the image (not the mask).
    func scanVariation(_ pair: ImagePair, seed: UInt64) throws -> ImagePair {
        let pipeline = AugmentationPipeline(operations: [
            // Coefficients of an order-3 polynomial in exp(): ±0.05 keeps the
            // field within about ±10 % (larger fields saturate the image).
            .init(kind: .biasField, probability: 1, range: [0.01, 0.05], intensityRange: [-1, 1]),
            .init(kind: .contrast, probability: 1, range: [0.9, 1.1]),
            .init(kind: .noise, probability: 1, range: [0.01, 0.03]),
        ])
        var varied = try Augmenter(pipeline: pipeline).apply(to: pair, seed: seed)
        for i in varied.image.indices { varied.image[i] = min(1, max(-1, varied.image[i])) }
        varied.mask = pair.mask
        return varied
    }

    /// Chessboard distance of each pixel to the nearest background pixel
    /// (two-pass), capped at the side.
    func distanceToBackground(_ mask: [Int32], side: Int) -> [Int] {
        var d = mask.map { $0 == background ? 0 : side }
        for y in 0..<side {
            for x in 0..<side where d[y * side + x] > 0 {
                var best = d[y * side + x]
                if y > 0 { best = min(best, d[(y - 1) * side + x] + 1) }
                if x > 0 { best = min(best, d[y * side + x - 1] + 1) }
                if y > 0 && x > 0 { best = min(best, d[(y - 1) * side + x - 1] + 1) }
                if y > 0 && x < side - 1 { best = min(best, d[(y - 1) * side + x + 1] + 1) }
                d[y * side + x] = best
            }
        }
        for y in stride(from: side - 1, through: 0, by: -1) {
            for x in stride(from: side - 1, through: 0, by: -1) where d[y * side + x] > 0 {
                var best = d[y * side + x]
                if y < side - 1 { best = min(best, d[(y + 1) * side + x] + 1) }
                if x < side - 1 { best = min(best, d[y * side + x + 1] + 1) }
                if y < side - 1 && x < side - 1 { best = min(best, d[(y + 1) * side + x + 1] + 1) }
                if y < side - 1 && x > 0 { best = min(best, d[(y + 1) * side + x - 1] + 1) }
                d[y * side + x] = best
            }
        }
        return d
    }

    /// Noise with zero mean and unit-ish amplitude, smoothed by summing a
    /// few random low-frequency waves (cheap and seedable).
    func smoothNoise(side: Int, random: inout SplitMix64, scale: Double) -> [Float] {
        let waves = (0..<8).map { _ in
            (ky: (random.uniform() - 0.5) * 2 * .pi / scale, kx: (random.uniform() - 0.5) * 2 * .pi / scale,
             phase: random.uniform() * 2 * .pi)
        }
        return (0..<side * side).map { index in
            let (y, x) = (Double(index / side), Double(index % side))
            return Float(waves.reduce(0) { $0 + sin($1.ky * y + $1.kx * x + $1.phase) } / 2)
        }
    }
}

/// r(θ) = 1 + Σ aₖ cos(kθ + φₖ), k = 2…5: an irregular closed contour.
struct Contour {
    var terms: [(k: Double, a: Double, phase: Double)]
    init(random: inout SplitMix64) {
        terms = (2...5).map { k in (Double(k), 0.12 * random.uniform() / Double(k - 1), random.uniform() * 2 * .pi) }
    }
    func scale(_ theta: Double) -> Double { terms.reduce(1) { $0 + $1.a * cos($1.k * theta + $1.phase) } }
}

/// A smooth random displacement of (y, x): two sinusoids per axis.
struct Warp {
    var terms: [(ay: Double, ax: Double, ky: Double, kx: Double, phase: Double)]
    init(random: inout SplitMix64, amplitude: Double, wavelength: Double) {
        terms = (0..<2).map { _ in
            (ay: (random.uniform() - 0.5) * amplitude, ax: (random.uniform() - 0.5) * amplitude,
             ky: (random.uniform() - 0.5) * 2 * .pi / wavelength, kx: (random.uniform() - 0.5) * 2 * .pi / wavelength,
             phase: random.uniform() * 2 * .pi)
        }
    }
    func displace(_ y: Double, _ x: Double) -> (Double, Double) {
        var (dy, dx) = (y, x)
        for t in terms {
            let s = sin(t.ky * y + t.kx * x + t.phase)
            dy += t.ay * s
            dx += t.ax * s
        }
        return (dy, dx)
    }
}
