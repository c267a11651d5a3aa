import Foundation

/// Image similarity for synthetic-data checks: SSIM (Wang et al. 2004) and
/// PSNR between two single-channel images of one size.
///
/// SSIM here: Gaussian-weighted local statistics (σ = 1.5, an 11 × 11
/// window), C1 = (0.01·L)², C2 = (0.03·L)² with L the data range, the
/// population (not sample) covariance, averaged over every pixel whose
/// window lies inside the image ("valid" positions, so no padding choice
/// enters the number). Images smaller than the window use the largest
/// square window that fits. 1 means identical; 0 no structural similarity.
/// As with every SSIM, the luminance term assumes non-negative intensities
/// (near a zero mean it collapses): shift signed images, e.g. the network's
/// [-1, 1] to [0, 2], before comparing them.
public enum ImageSimilarity {
    static let radius = 5, sigma = 1.5

    /// Mean SSIM of `a` and `b` (row-major `height` × `width`).
    /// - Throws: `MetricsError.shapeMismatch` for sizes that disagree,
    ///   `.invalidArgument` for a non-positive or non-finite data range or
    ///   non-finite pixels.
    public static func ssim(_ a: [Float], _ b: [Float], width: Int, height: Int, dataRange: Double) throws -> Double {
        try check(a, b, width: width, height: height, dataRange: dataRange)
        let c1 = (0.01 * dataRange) * (0.01 * dataRange), c2 = (0.03 * dataRange) * (0.03 * dataRange)
        let r = min(radius, (min(width, height) - 1) / 2)
        let weights = gaussian(radius: r)
        // Separable Gaussian over the valid region of a, b, a², b², ab.
        let (ow, oh) = (width - 2 * r, height - 2 * r)
        func blur(_ value: (Int) -> Double) -> [Double] {
            var rows = [Double](repeating: 0, count: height * ow)
            for y in 0..<height {
                for x in 0..<ow {
                    var sum = 0.0
                    for d in 0...(2 * r) { sum += weights[d] * value(y * width + x + d) }
                    rows[y * ow + x] = sum
                }
            }
            var result = [Double](repeating: 0, count: oh * ow)
            for y in 0..<oh {
                for x in 0..<ow {
                    var sum = 0.0
                    for d in 0...(2 * r) { sum += weights[d] * rows[(y + d) * ow + x] }
                    result[y * ow + x] = sum
                }
            }
            return result
        }
        let ma = blur { Double(a[$0]) }, mb = blur { Double(b[$0]) }
        let saa = blur { Double(a[$0]) * Double(a[$0]) }, sbb = blur { Double(b[$0]) * Double(b[$0]) }
        let sab = blur { Double(a[$0]) * Double(b[$0]) }
        var total = 0.0
        for i in 0..<(oh * ow) {
            let (varA, varB, cov) = (saa[i] - ma[i] * ma[i], sbb[i] - mb[i] * mb[i], sab[i] - ma[i] * mb[i])
            total += ((2 * ma[i] * mb[i] + c1) * (2 * cov + c2)) / ((ma[i] * ma[i] + mb[i] * mb[i] + c1) * (varA + varB + c2))
        }
        return total / Double(oh * ow)
    }

    /// PSNR in dB: 10·log10(L² / MSE); +∞ for identical images.
    public static func psnr(_ a: [Float], _ b: [Float], width: Int, height: Int, dataRange: Double) throws -> Double {
        try check(a, b, width: width, height: height, dataRange: dataRange)
        let mse = zip(a, b).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) } / Double(a.count)
        return mse == 0 ? .infinity : 10 * Foundation.log10(dataRange * dataRange / mse)
    }

    /// Normalised 1-D Gaussian weights over -radius...radius.
    static func gaussian(radius: Int) -> [Double] {
        let raw = (-radius...radius).map { Foundation.exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let sum = raw.reduce(0, +)
        return raw.map { $0 / sum }
    }

    static func check(_ a: [Float], _ b: [Float], width: Int, height: Int, dataRange: Double) throws {
        guard width >= 1, height >= 1, a.count == width * height, b.count == width * height else {
            throw MetricsError.shapeMismatch("images of \(a.count) and \(b.count) pixels for \(width)x\(height)")
        }
        guard dataRange > 0, dataRange.isFinite else {
            throw MetricsError.invalidArgument("data range must be positive and finite, found \(dataRange)")
        }
        guard a.allSatisfy(\.isFinite), b.allSatisfy(\.isFinite) else {
            throw MetricsError.invalidArgument("SSIM/PSNR need finite pixels")
        }
    }
}
