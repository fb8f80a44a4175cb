-- The one place a file path is decided. A save_folder or file_name that is absolute or contains
-- '..' could name a file outside the asset root, so it gives no path at all (NULL); such rows
-- are listed by the view unsafe_assets instead of being joined to a file. The build stores
-- under_root(asset_root, path_below_root(...)) of every asset in its table (column
-- resolved_file_path, with the settings in force; `emm1 config set` recomputes it), so views
-- read a stored path: no path built, no name checked per row, and a NULL (unsafe name, or no
-- infos row) stays NULL. concat()
-- builds a path in one allocation (a chain of || builds an intermediate string: 15% more CPU
-- for the paths of nn_groups_resolved); a NULL name makes the CASE condition NULL.
CREATE OR REPLACE MACRO unsafe_name(name) AS starts_with(name, '/') OR contains(name, '..');
CREATE OR REPLACE MACRO path_below_root(save_folder, folder, file_name) AS
    CASE WHEN NOT (unsafe_name(save_folder) OR unsafe_name(file_name))
         THEN concat(save_folder, '/', folder, '/', file_name) END;
CREATE OR REPLACE MACRO under_root(root, path_below_root) AS
    CASE WHEN path_below_root IS NOT NULL THEN concat(root, '/', path_below_root) END;
CREATE OR REPLACE MACRO asset_path(root, save_folder, folder, file_name) AS
    CASE WHEN NOT (unsafe_name(save_folder) OR unsafe_name(file_name))
         THEN concat(root, '/', save_folder, '/', folder, '/', file_name) END;
COMMENT ON MACRO unsafe_name IS 'True if a save_folder or file_name is absolute or contains "..", so it could leave the asset root.';
COMMENT ON MACRO path_below_root IS 'save_folder/folder/file_name, or NULL when save_folder or file_name is unsafe (absolute or containing ".."): the path of a file below the asset root.';
COMMENT ON MACRO under_root IS 'root/path_below_root, or NULL when path_below_root is NULL: how the build makes the stored path (resolved_file_path) from path_below_root.';
COMMENT ON MACRO asset_path IS 'root/save_folder/folder/file_name, or NULL when save_folder or file_name is unsafe (absolute or containing "..").';
