/// One arm against a reference arm on one split and metric: the paired
/// test over seeds (primary; seed k of both arms shares the initial
/// weights and the sampler's seed) and over the split's images pooled
/// over seeds (secondary; an image's two scores pair when both exist).
public struct ArmComparison: Codable, Equatable, Sendable {
    /// arm − reference, mean over seeds.
    public var meanDiff: Double
    /// Paired t interval over seeds; nil with one seed.
    public var ci95: [Double]?
    /// Paired t-test over seeds, two-sided; nil with one seed.
    public var p: Double?
    /// Seeds paired.
    public var seeds: Int
    /// Wilcoxon signed-rank over (seed, image) pairs, with the paired t
    /// interval of their mean difference.
    public var perImage: PairedDifference?

    enum CodingKeys: String, CodingKey { case meanDiff = "mean_diff", ci95, p, seeds, perImage = "per_image" }

    /// Every arm against `classic` and against `real`, on every split and
    /// comparison metric both arms have:
    /// `<arm>_vs_<reference>` → split → metric.
    static func all(_ arms: [String: [String: SplitScores]], order: [String]) -> [String: [String: [String: ArmComparison]]] {
        var result: [String: [String: [String: ArmComparison]]] = [:]
        for reference in ["classic", "real"] {
            guard let base = arms[reference] else { continue }
            for arm in order where arm != reference {
                guard let scores = arms[arm] else { continue }
                var perSplit: [String: [String: ArmComparison]] = [:]
                for (split, splitScores) in scores {
                    guard let referenceScores = base[split] else { continue }
                    var metrics: [String: ArmComparison] = [:]
                    for (metric, values) in splitScores.perSeed {
                        guard let referenceValues = referenceScores.perSeed[metric],
                              let seeds = PairedStatistics.pairedT(values, referenceValues) else { continue }
                        var images: PairedDifference?
                        if let a = splitScores.perImage[metric], let b = referenceScores.perImage[metric] {
                            images = PairedStatistics.signedRank(Array(a.joined()), Array(b.joined()))
                        }
                        metrics[metric] = ArmComparison(meanDiff: seeds.meanDiff, ci95: seeds.ci95, p: seeds.p, seeds: seeds.n,
                                                        perImage: images)
                    }
                    perSplit[split] = metrics
                }
                result["\(arm)_vs_\(reference)"] = perSplit
            }
        }
        return result
    }
}
