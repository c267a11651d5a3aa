extension NIfTIVolume {
    /// How canonical (RAS+) voxel indices map to offsets in ``values``:
    /// canonical (r, a, s) of volume t is at
    /// `start + r·steps[0] + a·steps[1] + s·steps[2] + t·volumeStride`.
    struct CanonicalIndexing {
        /// Canonical grid size along R, A, S.
        let sizes: [Int]
        /// Offset of canonical voxel (0, 0, 0) in volume 0.
        let start: Int
        /// Signed offset step per canonical index, along R, A, S.
        let steps: [Int]
        /// Values per 3-D volume.
        let volumeStride: Int

        func offset(_ r: Int, _ a: Int, _ s: Int, volume t: Int) -> Int {
            start + r * steps[0] + a * steps[1] + s * steps[2] + t * volumeStride
        }
    }

    /// The index mapping from canonical RAS+ voxels to stored ones.
    var canonicalIndexing: CanonicalIndexing {
        let d = [dimensions.x, dimensions.y, dimensions.z]
        let strides = [1, d[0], d[0] * d[1]]
        var start = 0
        var steps: [Int] = []
        for (axis, flipped) in canonicalAxes {
            steps.append(flipped ? -strides[axis] : strides[axis])
            if flipped { start += (d[axis] - 1) * strides[axis] }
        }
        return CanonicalIndexing(sizes: canonicalAxes.map { d[$0.stored] }, start: start, steps: steps,
                                 volumeStride: dimensions.spatialCount)
    }

    /// The affine of the canonical grid: ``affine`` composed with the
    /// permutation and flips that take canonical indices to stored ones.
    var canonicalAffine: Affine {
        let d = [dimensions.x, dimensions.y, dimensions.z]
        var toStored = Affine(unchecked: [Double](repeating: 0, count: 16))
        toStored[3, 3] = 1
        for (canonical, (axis, flipped)) in canonicalAxes.enumerated() {
            toStored[axis, canonical] = flipped ? -1 : 1
            toStored[axis, 3] = flipped ? Double(d[axis] - 1) : 0
        }
        return affine.concatenating(toStored)
    }

    /// Voxel spacing in millimetres along canonical R, A, S: the lengths of
    /// the canonical affine's columns (what nibabel's canonical image
    /// reports as zooms; equal to ``voxelSize`` reordered unless the sform
    /// disagrees with `pixdim`).
    public var canonicalSpacing: SIMD3<Double> { canonicalAffine.columnLengths }

    /// This volume with its voxels reordered so that +x runs to the
    /// patient's right, +y anterior and +z superior (RAS+), like nibabel's
    /// `as_closest_canonical`.
    ///
    /// Axes are only permuted and flipped (no resampling), following
    /// ``axisCodes``; the affine is updated so every voxel keeps its world
    /// position, ``voxelSize`` is reordered with the axes, and values,
    /// datatype and scaling are unchanged. An oblique affine stays oblique:
    /// the result is the closest RAS+ grid, as in nibabel.
    ///
    /// - Complexity: O(voxelCount); returns `self` when already RAS.
    public func canonical() -> NIfTIVolume {
        if axisCodes == "RAS" { return self }
        let index = canonicalIndexing
        let (nr, na, ns) = (index.sizes[0], index.sizes[1], index.sizes[2])
        let reordered = [Float](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { source in
                var o = 0
                for t in 0..<dimensions.t {
                    for s in 0..<ns {
                        for a in 0..<na {
                            var offset = index.offset(0, a, s, volume: t)
                            for _ in 0..<nr {
                                out[o] = source[offset]
                                o += 1
                                offset += index.steps[0]
                            }
                        }
                    }
                }
            }
            initialized = values.count
        }
        let size = voxelSize
        let permuted = SIMD3(canonicalAxes.map { size[$0.stored] })
        return NIfTIVolume(reoriented: self,
                           dimensions: Dimensions(x: nr, y: na, z: ns, t: dimensions.t),
                           values: reordered, voxelSize: permuted, affine: canonicalAffine)
    }
}
