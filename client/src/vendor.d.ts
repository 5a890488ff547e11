// @thaunknown/simple-peer ships no types; the mesh only uses the PeerLike slice of it.
declare module '@thaunknown/simple-peer' {
  const Peer: new (options: { initiator?: boolean; trickle?: boolean; config?: RTCConfiguration }) => unknown
  export default Peer
}
