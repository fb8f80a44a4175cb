-- The one place a file path is built. A save_folder or file_name that is absolute or contains
-- '..' could name a file outside the asset root, so it gives no path at all (NULL); such rows
-- are listed by the view unsafe_assets instead of being joined to a file. One concat() builds
-- the path in one allocation (a chain of || builds four intermediate strings); a NULL name
-- makes the CASE condition NULL, so a missing infos row still gives a NULL path.
CREATE OR REPLACE MACRO unsafe_name(name) AS starts_with(name, '/') OR contains(name, '..');
CREATE OR REPLACE MACRO asset_path(root, save_folder, folder, file_name) AS
    CASE WHEN NOT (unsafe_name(save_folder) OR unsafe_name(file_name))
         THEN concat(root, '/', save_folder, '/', folder, '/', file_name) END;
COMMENT ON MACRO unsafe_name IS 'True if a save_folder or file_name is absolute or contains "..", so it could leave the asset root.';
COMMENT ON MACRO asset_path IS 'root/save_folder/folder/file_name, or NULL when save_folder or file_name is unsafe (absolute or containing "..").';
