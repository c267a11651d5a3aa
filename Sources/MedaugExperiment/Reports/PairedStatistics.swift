import Foundation

/// A paired comparison of two arms on one metric: the mean difference
/// (arm − reference), its 95 % confidence interval and a two-sided p-value.
public struct PairedDifference: Codable, Equatable, Sendable {
    public var meanDiff: Double
    /// nil with fewer than two pairs.
    public var ci95: [Double]?
    /// nil with fewer than two pairs.
    public var p: Double?
    /// Number of pairs.
    public var n: Int

    enum CodingKeys: String, CodingKey { case meanDiff = "mean_diff", ci95, p, n }
}

/// The tests behind `comparisons` in metrics.json.
public enum PairedStatistics {
    /// Paired t: differences d = a − b over the pairs where both exist;
    /// interval mean ± t(0.975, n−1)·s/√n, p from Student's t with n − 1
    /// degrees of freedom. All differences equal (s = 0): the interval is
    /// [mean, mean] and p is 1 if the mean is 0, else 0. nil without pairs.
    public static func pairedT(_ a: [Double?], _ b: [Double?]) -> PairedDifference? {
        let d = differences(a, b)
        guard !d.isEmpty else { return nil }
        let n = Double(d.count), mean = d.reduce(0, +) / n
        guard d.count >= 2 else { return PairedDifference(meanDiff: mean, ci95: nil, p: nil, n: 1) }
        let sd = (d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
        guard sd > 0 else { return PairedDifference(meanDiff: mean, ci95: [mean, mean], p: mean == 0 ? 1 : 0, n: d.count) }
        let se = sd / n.squareRoot(), df = n - 1
        let half = StudentT.quantile(0.975, degreesOfFreedom: df) * se
        let t = mean / se
        let p = 2 * StudentT.upperTail(abs(t), degreesOfFreedom: df)
        return PairedDifference(meanDiff: mean, ci95: [mean - half, mean + half], p: min(1, p), n: d.count)
    }

    /// Wilcoxon signed-rank test of the differences (zero differences
    /// dropped, tied |d| given their average rank), normal approximation
    /// with the tie correction and no continuity correction (scipy's
    /// `wilcoxon(zero_method="wilcox", correction=False, method="approx")`);
    /// the interval is the paired t interval of the mean difference.
    public static func signedRank(_ a: [Double?], _ b: [Double?]) -> PairedDifference? {
        guard var result = pairedT(a, b) else { return nil }
        let d = differences(a, b).filter { $0 != 0 }
        guard d.count >= 1, result.n >= 2 else {
            if result.n >= 2 { result.p = 1 }
            return result
        }
        let order = d.indices.sorted { abs(d[$0]) < abs(d[$1]) }
        var ranks = [Double](repeating: 0, count: d.count)
        var tieTerm = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && abs(d[order[end + 1]]) == abs(d[order[start]]) { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for k in start...end { ranks[order[k]] = rank }
            let t = Double(end - start + 1)
            tieTerm += t * t * t - t
            start = end + 1
        }
        let n = Double(d.count)
        let plus = d.indices.reduce(0.0) { $0 + (d[$1] > 0 ? ranks[$1] : 0) }
        let mean = n * (n + 1) / 4
        let variance = n * (n + 1) * (2 * n + 1) / 24 - tieTerm / 48
        result.p = variance > 0 ? min(1, erfc(abs(plus - mean) / variance.squareRoot() / 2.0.squareRoot())) : 1
        return result
    }

    static func differences(_ a: [Double?], _ b: [Double?]) -> [Double] {
        zip(a, b).compactMap { x, y in
            guard let x, let y, x.isFinite, y.isFinite else { return nil }
            return x - y
        }
    }
}

/// Student's t distribution through the regularised incomplete beta
/// function: P(T > t) = I_{ν/(ν+t²)}(ν/2, 1/2) / 2 for t ≥ 0.
enum StudentT {
    static func upperTail(_ t: Double, degreesOfFreedom nu: Double) -> Double {
        guard t > 0 else { return 0.5 }
        return 0.5 * incompleteBeta(nu / (nu + t * t), a: nu / 2, b: 0.5)
    }

    /// The q-quantile (q ≥ 0.5) by bisection on the upper tail.
    static func quantile(_ q: Double, degreesOfFreedom nu: Double) -> Double {
        var (low, high) = (0.0, 1.0)
        while upperTail(high, degreesOfFreedom: nu) > 1 - q { high *= 2 }
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if upperTail(mid, degreesOfFreedom: nu) > 1 - q { low = mid } else { high = mid }
        }
        return (low + high) / 2
    }

    /// I_x(a, b) by its continued fraction (modified Lentz), using the
    /// symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where it converges faster.
    static func incompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logGammas: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let logPowers: Double = a * log(x) + b * log(1 - x)
        let logFront = logGammas + logPowers
        if x > (a + 1) / (a + b + 2) { return 1 - incompleteBeta(1 - x, a: b, b: a) }
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        d = 1 / (abs(d) < tiny ? tiny : d)
        var f = d
        for m in 1...500 {
            let m = Double(m)
            let evenDenominator: Double = (a + 2 * m - 1) * (a + 2 * m)
            let even: Double = m * (b - m) * x / evenDenominator
            d = 1 + even * d; d = 1 / (abs(d) < tiny ? tiny : d)
            c = 1 + even / c; if abs(c) < tiny { c = tiny }
            f *= d * c
            let oddDenominator: Double = (a + 2 * m) * (a + 2 * m + 1)
            let odd: Double = -(a + m) * (a + b + m) * x / oddDenominator
            d = 1 + odd * d; d = 1 / (abs(d) < tiny ? tiny : d)
            c = 1 + odd / c; if abs(c) < tiny { c = tiny }
            let step = d * c
            f *= step
            if abs(step - 1) < 1e-15 { break }
        }
        return exp(logFront) * f / a
    }
}
