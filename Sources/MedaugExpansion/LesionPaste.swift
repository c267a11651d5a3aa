import Foundation
import MedaugImaging

extension LabelEditor {
    /// CarveMix-style copy-paste (Zhang et al. 2021), the ablation that
    /// needs no generator: the lesion of `donor` (its region's labels *and*
    /// image pixels, every channel) copied into `target` by a random
    /// rotation, scale and mirror, centred at a random anatomy pixel, and
    /// kept only where every placed pixel lands on the target's anatomy: inside
    /// the brain and off the target's own lesion. Nearest-neighbour: every
    /// pasted pixel is a donor lesion pixel, unchanged.
    ///
    /// Returns nil when the donor has no region, the pairs differ in shape,
    /// or no placement within `attempts` fits.
    public func paste(into target: ImagePair, from donor: ImagePair, random: inout SplitMix64) -> ImagePair? {
        let side = target.height
        guard target.height == target.width, donor.height == side, donor.width == side, donor.channels == target.channels,
              let source = region(of: donor.mask, side: side) else { return nil }
        let anatomy = target.mask.indices.filter { isAnatomy(target.mask[$0]) }
        guard !anatomy.isEmpty else { return nil }
        let plane = side * side
        for _ in 0..<attempts {
            let placement = Placement.random(anatomy: anatomy, side: side, scaleRange: scaleRange, random: &random)
            let (cy, cx) = placement.centre
            let reach = placement.reach(source.radius)
            // (target pixel, donor pixel) pairs; any pixel off the anatomy
            // rejects the placement.
            var placed: [(Int, Int)] = []
            var fits = true
            placement: for oy in -reach...reach {
                for ox in -reach...reach {
                    let (y, x) = (cy + oy, cx + ox)
                    let (sy, sx) = placement.source(oy, ox)
                    guard source.lookup[source.key(sy, sx)] != nil else { continue }
                    guard y >= 0, y < side, x >= 0, x < side, isAnatomy(target.mask[y * side + x]) else {
                        fits = false
                        break placement
                    }
                    placed.append((y * side + x, (source.centre.y + sy) * side + source.centre.x + sx))
                }
            }
            guard fits, placed.count >= minimumRegion else { continue }
            var out = target
            for (to, from) in placed {
                out.mask[to] = donor.mask[from]
                for channel in 0..<target.channels { out.image[channel * plane + to] = donor.image[channel * plane + from] }
            }
            return out
        }
        return nil
    }
}
