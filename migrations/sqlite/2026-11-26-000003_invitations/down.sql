DROP TABLE invitation_batches;
DROP TABLE invitation_blocks;
DROP TABLE invitations;
