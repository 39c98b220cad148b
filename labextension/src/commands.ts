/**
 * The ids the extension registers, in one place.
 */

export const PLUGIN_ID = 'oci-magic:plugin';

export namespace CommandIDs {
  /** `%oci fix` on the active cell. */
  export const fixCell = 'oci-magic:fix-cell';
  /** Show the oci sidebar. */
  export const openSidebar = 'oci-magic:open-sidebar';
}
